// lspci -t: the bus tree, built and drawn the way pciutils 3.9.0 ls-tree.c does
// (grow_tree, insert_dev, show_tree_bridge/bus/dev) without libpci's parent links,
// which `lspci -F` does not have either: bridges are placed by bus numbers alone.
#include "drivers-sim/userland/lspci/lspci_caps.h"

#include <memory>

namespace iovsim::host::lspci_impl {
namespace {

constexpr unsigned ANY = ~0U;

struct bus {
  unsigned domain = 0, number = 0;
  std::vector<int> devices;   // indices into the sorted device list
};

struct bridge {
  unsigned domain = ANY, primary = ANY, secondary = ANY, subordinate = ANY;
  int device = -1;                     // -1: the host bridge
  std::vector<bus> buses;              // in the order they were created
};

class tree {
 public:
  tree(const std::vector<device_ctx>& devices, const filter* f) : m_devices(devices), m_filter(f) {
    grow();
  }

  void show(std::string& out) {
    m_out = &out;
    show_bridge(m_filter, m_host, 0);
  }

 private:
  bus* find_bus(bridge& b, unsigned domain, unsigned number) {
    for (auto& u : b.buses)
      if (u.domain == domain && u.number == number) return &u;
    return nullptr;
  }

  bus& new_bus(bridge& b, unsigned domain, unsigned number) {
    b.buses.push_back(bus{domain, number, {}});
    return b.buses.back();
  }

  bridge* bridge_of(int device) {
    for (auto& b : m_chain)
      if (b->device == device) return b.get();
    return nullptr;
  }

  void grow() {
    // ls-tree.c hangs every PCI-to-PCI or CardBus bridge off the host bridge: its
    // narrowest-range search never beats the host, whose range arithmetic gives 0.
    // Devices then go to the newest bridge whose bus range holds their bus.
    m_host.domain = 0;
    m_host.secondary = 0;
    for (size_t i = 0; i < m_devices.size(); ++i) {
      const device_ctx& d = m_devices[i];
      unsigned ht = d.header_type();
      if ((d.device_class() >> 8) != 0x06 || (ht != HEADER_BRIDGE && ht != HEADER_CARDBUS)) continue;
      auto b = std::make_unique<bridge>();
      b->domain = d.dev.domain;
      b->primary = d.dev.bus;
      b->secondary = d.cfg.u8(0x19);
      b->subordinate = d.cfg.u8(0x1a);
      b->device = static_cast<int>(i);
      m_chain.push_back(std::move(b));
    }
    // Every bridge starts with its secondary bus, the host with 0000:00.
    new_bus(m_host, 0, 0);
    for (auto& b : m_chain)
      if (!find_bus(*b, b->domain, b->secondary)) new_bus(*b, b->domain, b->secondary);
    for (size_t i = 0; i < m_devices.size(); ++i) insert(static_cast<int>(i));
  }

  void insert(int index) {
    const lspci_device& dev = m_devices[index].dev;
    bus* u = find_bus(m_host, dev.domain, dev.bus);
    if (!u) {
      for (auto it = m_chain.rbegin(); it != m_chain.rend(); ++it) {
        bridge& c = **it;
        if (c.domain == dev.domain && c.secondary <= dev.bus && dev.bus <= c.subordinate) {
          u = find_bus(c, dev.domain, dev.bus);
          if (!u) u = &new_bus(c, dev.domain, dev.bus);
          break;
        }
      }
    }
    if (!u) u = &new_bus(m_host, dev.domain, dev.bus);
    u->devices.push_back(index);
  }

  // print_it(): emit the line, then keep only the vertical rails for the next one.
  void print_line(size_t p) {
    m_line.resize(p);
    *m_out += m_line;
    *m_out += '\n';
    for (char& c : m_line) c = (c == '+' || c == '|') ? '|' : ' ';
  }

  size_t write(size_t p, const std::string& text) {
    m_line.resize(p);
    m_line += text;
    return m_line.size();
  }

  bool dev_passes(const filter* f, int index) {
    if (!f || filter_match(*f, m_devices[index])) return true;
    if (bridge* b = bridge_of(index))
      for (auto& u : b->buses)
        if (bus_passes(f, u)) return true;
    return false;
  }

  bool bus_passes(const filter* f, const bus& u) {
    if (!f) return true;
    for (int i : u.devices)
      if (dev_passes(f, i)) return true;
    return false;
  }

  void show_dev(const filter* f, int index, size_t p) {
    const device_ctx& d = m_devices[index];
    p = write(p, fmt::format("{:02x}.{:x}", d.dev.dev, d.dev.fn));
    if (bridge* b = bridge_of(index)) {
      if (b->secondary == 0) p = write(p, "-");
      else if (b->secondary == b->subordinate) p = write(p, fmt::format("-[{:02x}]-", b->secondary));
      else p = write(p, fmt::format("-[{:02x}-{:02x}]-", b->secondary, b->subordinate));
      show_bridge(f, *b, p);
      return;
    }
    if (d.opt.verbose) p = write(p, "  " + vendor_device_text(d));
    print_line(p);
  }

  // With -s/-d, lspci 3.9.0 leaves out what does not lead to a match but keeps the
  // branch glyphs of the full tree ("+-" unless the last sibling).
  void show_bus(const filter* f, const bus& u, size_t p) {
    if (u.devices.empty()) {
      print_line(p);
      return;
    }
    if (u.devices.size() == 1) {
      if (dev_passes(f, u.devices[0])) show_dev(f, u.devices[0], write(p, "--"));
      else print_line(p);
      return;
    }
    bool any = false;
    for (size_t k = 0; k < u.devices.size(); ++k) {
      if (!dev_passes(f, u.devices[k])) continue;
      any = true;
      show_dev(f, u.devices[k], write(p, k + 1 == u.devices.size() ? "\\-" : "+-"));
    }
    if (!any) print_line(p);
  }

  void show_bridge(const filter* f, const bridge& b, size_t p) {
    p = write(p, "-");
    if (b.buses.size() == 1) {
      if (!bus_passes(f, b.buses[0])) {
        print_line(p);
        return;
      }
      if (b.device < 0) p = write(p, fmt::format("[{:04x}:{:02x}]-", b.buses[0].domain, b.buses[0].number));
      show_bus(f, b.buses[0], p);
      return;
    }
    bool any = false;
    for (size_t k = 0; k < b.buses.size(); ++k) {
      const bus& u = b.buses[k];
      if (!bus_passes(f, u)) continue;
      any = true;
      const char* branch = k + 1 == b.buses.size() ? "\\-" : "+-";
      show_bus(f, u, write(p, fmt::format("{}[{:04x}:{:02x}]-", branch, u.domain, u.number)));
    }
    if (!any) print_line(p);
  }

  const std::vector<device_ctx>& m_devices;
  const filter* m_filter;
  bridge m_host;
  std::vector<std::unique_ptr<bridge>> m_chain;
  std::string m_line;
  std::string* m_out = nullptr;
};

}  // namespace

void show_tree(std::string& out, const std::vector<device_ctx>& devices, const filter& f) {
  tree t(devices, f.given ? &f : nullptr);
  t.show(out);
}

}  // namespace iovsim::host::lspci_impl
