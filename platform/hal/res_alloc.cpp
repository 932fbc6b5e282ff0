#include "platform/hal/res_alloc.h"

#include <algorithm>

namespace iovsim::hal {

namespace {
uint64_t align_up(uint64_t v, uint64_t a) { return a ? (v + a - 1) / a * a : v; }

// One thing to place in a window: a BAR or a child bridge's window.
struct item {
  uint64_t size;
  uint64_t align;
  alloc_request* req;   // BAR, or
  alloc_node* child;    // child window
  bool pref;
};

std::vector<item> items_of(alloc_node& n, bool pref) {
  std::vector<item> out;
  auto own = [&](alloc_node& f) {
    for (auto& r : f.requests)
      if (r.size && r.pref64 == pref) out.push_back({r.size, r.align ? r.align : r.size, &r, nullptr, pref});
  };
  if (!n.is_bridge) own(n);
  for (auto& c : n.children) {
    if (c->is_bridge) {
      const uint64_t size = pref ? c->pref_size : c->mem_size;
      const uint64_t align = pref ? c->pref_align : c->mem_align;
      if (size) out.push_back({size, align, nullptr, c.get(), pref});
    } else {
      own(*c);
    }
  }
  // Largest alignment first; ties keep the caller's (bus) order.
  std::stable_sort(out.begin(), out.end(), [](const item& a, const item& b) { return a.align > b.align; });
  return out;
}

uint64_t span(const std::vector<item>& items, uint64_t& align) {
  uint64_t at = 0;
  align = WINDOW_GRANULE;
  for (const item& it : items) {
    at = align_up(at, it.align) + it.size;
    align = std::max(align, it.align);
  }
  return at;
}
}  // namespace

void size_windows(alloc_node& root) {
  for (auto& c : root.children)
    if (c->is_bridge) size_windows(*c);
  for (bool pref : {false, true}) {
    uint64_t align = 0;
    const uint64_t used = span(items_of(root, pref), align);
    const uint64_t size = used ? align_up(used, WINDOW_GRANULE) : 0;
    (pref ? root.pref_size : root.mem_size) = size;
    (pref ? root.pref_align : root.mem_align) = align;
  }
}

void place(alloc_node& root, uint64_t mem_base, uint64_t pref_base) {
  root.mem_base = root.mem_size ? mem_base : 0;
  root.pref_base = root.pref_size ? pref_base : 0;
  for (bool pref : {false, true}) {
    uint64_t at = pref ? pref_base : mem_base;
    for (item& it : items_of(root, pref)) {
      at = align_up(at, it.align);
      if (it.req) it.req->assigned = at;
      else if (pref) place(*it.child, it.child->mem_base, at);
      else place(*it.child, at, it.child->pref_base);
      at += it.size;
    }
  }
}

}  // namespace iovsim::hal
