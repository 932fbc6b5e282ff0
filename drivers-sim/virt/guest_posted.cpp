#include "drivers-sim/virt/guest.h"

namespace iovsim::host {

// Posted interrupts need the IOMMU's interrupt remapping: until the host's IOMMU
// driver offers it, entries are injected.
bool guest_board::route_posted(vdev&, unsigned, uint32_t) { return false; }
void guest_board::unroute_posted(vdev&, unsigned) {}
bool guest_board::posted_notification(uint64_t, uint32_t) { return false; }

}  // namespace iovsim::host
