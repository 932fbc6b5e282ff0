// The NIC port's time series (kit/series.h): what the report plots per function.
#include <fmt/format.h>

#include "models/nic/nic_core.h"

namespace iovsim::nic {

void nic_core::add_series_tracks() {
  using kit::series_category;
  m_fn_traffic.assign(1 + m_cfg.max_vfs, function_traffic{});
  const std::string port = name();
  for (unsigned fn = 0; fn <= m_cfg.max_vfs; ++fn) {
    const std::string path = port + (fn ? fmt::format(".vf{}", fn - 1) : std::string(".pf"));
    // Small captures (the core and a number): the label fits in std::function's own
    // storage, no allocation for each of a rack's 8,000 tracks.
    static constexpr const char* WHAT[] = {" rx", " tx", " rx drops", " rx free descriptors"};
    auto label = [this, fn](unsigned what) {
      const uint32_t key = fn << 2 | what;
      return [this, key] { return function_label(key >> 2) + WHAT[key & 3]; };
    };
    function_traffic& t = m_fn_traffic[fn];
    m_tracks.push_back(std::make_unique<kit::series_track>(path + ".rx_bytes", series_category::throughput, label(0),
                                                           "bytes", t.rx_bytes));
    m_tracks.push_back(std::make_unique<kit::series_track>(path + ".tx_bytes", series_category::throughput, label(1),
                                                           "bytes", t.tx_bytes));
    m_tracks.push_back(std::make_unique<kit::series_track>(path + ".rx_drops", series_category::drops, label(2),
                                                           "frames", t.rx_drops));
    m_tracks.push_back(std::make_unique<kit::series_track>(path + ".rx_ring_free", series_category::ring, label(3),
                                                           "descriptors", kit::series_kind::gauge,
                                                           [this, fn] { return rx_free_descriptors(fn); }));
    // A VF's are read once software first enabled it (set_num_vfs()); its ring gauge
    // once software first touched its registers too (vf_regs()): only then can a ring
    // of it be enabled, and a rack's 2,016 VFs nobody drives cost no read per sample.
    if (fn)
      for (unsigned k = 0; k < TRACKS_PER_FUNCTION; ++k) function_track(fn, k).set_live(false);
  }
  // Drops before any function's queue: the switch's filters and the packet buffer.
  for (const rx_drop r :
       {rx_drop::l2_filter, rx_drop::vlan_filter, rx_drop::pool_disabled, rx_drop::packet_buffer_full})
    m_tracks.push_back(std::make_unique<kit::series_track>(
        fmt::format("{}.rx_drops.{}", port, rx_drop_name(r)), series_category::drops,
        [this, r] { return function_label(0) + " " + rx_drop_name(r); }, "frames",
        m_rx_dropped[static_cast<size_t>(r)]));
}

// Per port: TRACKS_PER_FUNCTION for the PF, as many per VF (the ring gauge last), then
// the port's drops.
kit::series_track& nic_core::function_track(unsigned fn, unsigned k) const {
  return *m_tracks[TRACKS_PER_FUNCTION * fn + k];
}

void nic_core::wake_series_tracks(unsigned vfs) {
  for (unsigned v = 0; v < vfs; ++v) {
    for (unsigned k = 0; k + 1 < TRACKS_PER_FUNCTION; ++k) function_track(1 + v, k).set_live(true);
    if (v < m_vf_regs.size() && m_vf_regs[v]) wake_ring_gauge(v);
  }
}

void nic_core::wake_ring_gauge(unsigned vf) const { function_track(1 + vf, TRACKS_PER_FUNCTION - 1).set_live(true); }

std::string nic_core::function_label(unsigned fn) const {
  // In a world of several machines the machine's name leads the port's ("b.nic0.port0").
  const std::string n = name();
  const size_t last = n.rfind('.');
  const size_t cut = last == std::string::npos || last == 0 ? std::string::npos : n.rfind('.', last - 1);
  const std::string machine = cut == std::string::npos ? "" : n.substr(0, cut) + " ";
  const uint16_t rid = m_requester_id(fn);
  return fmt::format("{}{:02x}:{:02x}.{}", machine, rid >> 8, (rid >> 3) & 0x1f, rid & 7);
}

double nic_core::rx_free_descriptors(unsigned fn) const {
  if (fn > m_num_vfs || !m_rx_rings_on) return 0;
  unsigned first = pool_base(fn), end = fn ? first + queues_per_pool() : m_cfg.queues;
  if (!fn && !m_num_vfs) first = 0;
  uint64_t free = 0;
  for (unsigned q = first; q < end && q < m_cfg.queues; ++q)
    if (m_rx[q]->ring.enabled) free += m_rx[q]->ring.pending();
  return static_cast<double>(free);
}

}  // namespace iovsim::nic
