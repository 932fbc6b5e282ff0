// AddressSanitizer and SystemC's coroutines (the sanitizer build only).
//
// SystemC runs every SC_THREAD on a stack of its own and switches stacks with
// QuickThreads. AddressSanitizer must be told of each switch
// (__sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber), or it keeps
// the bounds of the stack it last knew: an exception thrown on the main stack then
// cannot clean up ("ASan is ignoring requested __asan_handle_no_return"), the
// frames it unwound stay poisoned, and later code reports a stack-buffer-overflow
// or stack-use-after-scope that is not there (the report seen inside protobuf's
// text parser). Debian's libsystemc 2.3.4 annotates only half the switches, as its
// disassembly shows: sc_cor_pkg_qt::yield() passes the main coroutine's bounds as
// (0, 0), since it never learns them, and sc_cor_pkg_qt::abort(), the switch away
// from a thread that has ended, is not annotated at all. Later SystemC releases
// fix this in sc_cor_qt.cpp; 2.3.4 is what Debian 12 ships.
//
// So the sanitizer build replaces those two functions. The vtable of
// sc_cor_pkg_qt in libsystemc refers to them by symbol (R_X86_64_64 relocations,
// no -Bsymbolic), so a definition in the executable takes their place. They do what
// the library does (QuickThreads' qt_block / qt_abort with the same helpers'
// contract) and annotate both directions: the main stack's bounds are learnt on the
// first switch away from it. Fake stacks (detect_stack_use_after_return) are not
// tracked. The class layout below is libsystemc 2.3.4's (sc_cor_qt: stack size,
// stack, saved stack pointer, package); iovsim refuses to start on another
// version rather than switch stacks wrongly.
//
// And one more: SystemC 2.3.4 maps each coroutine stack with mmap and unmaps it
// when the process object goes. A thread still suspended then (a static SC_THREAD
// waiting for work when the run ends) leaves its frames' redzones and out-of-scope
// marks in ASan's shadow, and clang 14's runtime does not clear shadow on munmap
// (later runtimes intercept munmap for that). The next stack mapped at that address
// inherits the marks, and a frame there that has variables ASan does not re-mark
// on entry reports a stack-use-after-scope that is not there: fuzz_scenario met it
// after 80,000 runs, in a std::string temporary of pci_sysfs::device_dir(). So
// munmap clears the shadow of what it unmaps: memory that is gone has no marks.
#include "models/kit/asan.h"

#ifdef IOVSIM_ASAN

#include <sanitizer/asan_interface.h>
#include <sys/syscall.h>
#include <sysc/kernel/sc_cor.h>
#include <sysc/kernel/sc_ver.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" {
struct qt_t;
typedef void* qt_helper_t(qt_t* old_sp, void* a0, void* a1);
// QuickThreads (exported by libsystemc): save the registers on the current stack,
// switch to `sp`, call helper(old sp, a0, a1) there, resume what `sp` saved.
void* qt_block(qt_helper_t* helper, void* a0, void* a1, qt_t* sp);
void qt_abort(qt_helper_t* helper, void* a0, void* a1, qt_t* sp);
void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom, size_t size);
void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old, size_t* size_old);
}

namespace sc_core {
// libsystemc 2.3.4's classes, as far as these functions need them.
class sc_cor_qt : public sc_cor {
 public:
  std::size_t m_stack_size;
  void* m_stack;
  qt_t* m_sp;
  sc_cor_pkg* m_pkg;
};
class sc_cor_pkg_qt : public sc_cor_pkg {
 public:
  virtual ~sc_cor_pkg_qt();
  virtual sc_cor* create(std::size_t stack_size, sc_cor_fn* fn, void* arg);
  virtual void yield(sc_cor* next_cor);
  virtual void abort(sc_cor* next_cor);
  virtual sc_cor* get_main();
};
}  // namespace sc_core

namespace {
using sc_core::sc_cor_qt;

sc_cor_qt* g_main = nullptr;  // the library's main coroutine (one for all contexts)
sc_cor_qt* g_current = nullptr;
const void* g_main_bottom = nullptr;  // the main stack, as ASan knows it
size_t g_main_size = 0;

void check_version() {
  static const bool ok = std::strcmp(sc_core::sc_release(), "2.3.4-Accellera") == 0;
  if (!ok) {
    std::fprintf(stderr, "iovsim: the sanitizer build annotates SystemC 2.3.4's coroutines; this is %s\n",
                 sc_core::sc_release());
    std::abort();
  }
}

void switch_to(sc_cor_qt* next) {
  const void* bottom = next == g_main ? g_main_bottom : next->m_stack;
  const size_t size = next == g_main ? g_main_size : next->m_stack_size;
  __sanitizer_start_switch_fiber(nullptr, bottom, size);
}

// Run on the new stack: the switch is complete; the stack left behind, when it was
// the main one, tells its bounds.
extern "C" void* yield_helper(qt_t* sp, void* old_cor, void*) {
  auto* old = static_cast<sc_cor_qt*>(old_cor);
  old->m_sp = sp;
  const void* bottom = nullptr;
  size_t size = 0;
  __sanitizer_finish_switch_fiber(nullptr, &bottom, &size);
  if (old == g_main) {
    g_main_bottom = bottom;
    g_main_size = size;
  }
  return nullptr;
}

extern "C" void* abort_helper(qt_t*, void*, void*) {
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
  return nullptr;
}

sc_cor_qt* begin_switch(sc_core::sc_cor_pkg_qt& pkg, sc_core::sc_cor* next) {
  if (!g_main) {
    check_version();
    g_main = static_cast<sc_cor_qt*>(pkg.get_main());
  }
  sc_cor_qt* old = g_current ? g_current : g_main;
  g_current = static_cast<sc_cor_qt*>(next);
  switch_to(g_current);
  return old;
}
}  // namespace

namespace sc_core {
void sc_cor_pkg_qt::yield(sc_cor* next_cor) {
  sc_cor_qt* old = begin_switch(*this, next_cor);
  qt_block(yield_helper, old, nullptr, static_cast<sc_cor_qt*>(next_cor)->m_sp);
}

void sc_cor_pkg_qt::abort(sc_cor* next_cor) {
  sc_cor_qt* old = begin_switch(*this, next_cor);
  qt_abort(abort_helper, old, nullptr, static_cast<sc_cor_qt*>(next_cor)->m_sp);
}
}  // namespace sc_core

// libc's munmap, for every caller in the process (libsystemc's ~sc_cor_qt among
// them); ASan's runtime unmaps through its own system calls, not through this.
extern "C" int munmap(void* addr, size_t len) {
  if (addr != nullptr && len != 0) __asan_unpoison_memory_region(addr, len);
  return static_cast<int>(syscall(SYS_munmap, addr, len));
}

#endif  // IOVSIM_ASAN
