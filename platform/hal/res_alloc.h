// Memory-space assignment for a PCI tree, shared by the BIOS and by the kernel's
// `pci=realloc`: every BAR gets a naturally aligned address inside its bridge's
// window, windows are 1 MiB granular (PCI-to-PCI bridge spec 3.2.5.8), 64-bit
// prefetchable BARs go to the prefetchable window and everything else to the
// non-prefetchable one. Sizing is bottom-up, placement top-down, largest
// alignment first so no space is lost between siblings.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace iovsim::hal {

struct alloc_request {
  uint64_t size = 0;
  uint64_t align = 0;       // 0: the size (BARs are naturally aligned); an SR-IOV
                            // resource (VF BAR x TotalVFs) aligns to one VF BAR
                            // (REFERENCE.md section 2, iov.c sriov_init)
  bool pref64 = false;      // 64-bit prefetchable: goes to the prefetchable window
  uint64_t assigned = 0;    // result
  int tag = 0;              // caller's identification (function index, BAR number)
};

struct alloc_node {
  bool is_bridge = false;
  std::vector<alloc_request> requests;                // the function's own BARs
  std::vector<std::unique_ptr<alloc_node>> children;  // bridges: what is below
  int tag = 0;
  // Results for bridges: the windows (size 0 = window closed).
  uint64_t mem_base = 0, mem_size = 0, mem_align = 0;
  uint64_t pref_base = 0, pref_size = 0, pref_align = 0;
};

constexpr uint64_t WINDOW_GRANULE = 1ull << 20;

// Computes window sizes below `root` (a bridge or the root bus).
void size_windows(alloc_node& root);
// Places everything inside [mem_base...) and [pref_base...) for the root's windows.
void place(alloc_node& root, uint64_t mem_base, uint64_t pref_base);

}  // namespace iovsim::hal
