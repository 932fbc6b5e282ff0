// The host shell's lspci: option parsing, device selection and the per-device
// layout of pciutils 3.9.0 lspci.c (show_device, show_terse, show_hex_dump) and
// lib/filter.c. Verbose headers are in lspci_header.cpp, capabilities in
// lspci_caps.cpp / lspci_ecaps.cpp, the -t tree in lspci_tree.cpp.
#include "drivers-sim/userland/lspci/lspci.h"

#include "drivers-sim/userland/lspci/lspci_caps.h"

#include <algorithm>
#include <exception>

namespace iovsim::host {
namespace lspci_impl {
namespace {

// lspci.c help_msg as Debian 12's lspci 3.9.0 prints it.
constexpr const char* USAGE =
    "Usage: lspci [<switches>]\n"
    "\n"
    "Basic display modes:\n"
    "-mm\t\tProduce machine-readable output (single -m for an obsolete format)\n"
    "-t\t\tShow bus tree\n"
    "\n"
    "Display options:\n"
    "-v\t\tBe verbose (-vv or -vvv for higher verbosity)\n"
    "-k\t\tShow kernel drivers handling each device\n"
    "-x\t\tShow hex-dump of the standard part of the config space\n"
    "-xxx\t\tShow hex-dump of the whole config space (dangerous; root only)\n"
    "-xxxx\t\tShow hex-dump of the 4096-byte extended config space (root only)\n"
    "-b\t\tBus-centric view (addresses and IRQ's as seen by the bus)\n"
    "-D\t\tAlways show domain numbers\n"
    "-P\t\tDisplay bridge path in addition to bus and device number\n"
    "-PP\t\tDisplay bus path in addition to bus and device number\n"
    "\n"
    "Resolving of device ID's to names:\n"
    "-n\t\tShow numeric ID's\n"
    "-nn\t\tShow both textual and numeric ID's (names & numbers)\n"
    "-q\t\tQuery the PCI ID database for unknown ID's via DNS\n"
    "-qq\t\tAs above, but re-query locally cached entries\n"
    "-Q\t\tQuery the PCI ID database for all ID's via DNS\n"
    "\n"
    "Selection of devices:\n"
    "-s [[[[<domain>]:]<bus>]:][<slot>][.[<func>]]\tShow only devices in selected slots\n"
    "-d [<vendor>]:[<device>][:<class>]\t\tShow only devices with specified ID's\n"
    "\n"
    "Other options:\n"
    "-i <file>\tUse specified ID database instead of /usr/share/misc/pci.ids.gz\n"
    "-p <file>\tLook up kernel modules in a given file instead of default modules.pcimap\n"
    "-M\t\tEnable `bus mapping' mode (dangerous; root only)\n"
    "\n"
    "PCI access options:\n"
    "-A <method>\tUse the specified PCI access method (see `-A help' for a list)\n"
    "-O <par>=<val>\tSet PCI access parameter (see `-O help' for a list)\n"
    "-G\t\tEnable PCI access debugging\n"
    "-H <mode>\tUse direct hardware access (<mode> = 1 or 2)\n"
    "-F <file>\tRead PCI configuration dump from a given file\n";

struct usage_error {
  std::string message;
};

// lib/filter.c split_to_fields(): at most `count` fields separated by `sep`.
std::optional<std::vector<std::string>> split_fields(const std::string& s, char sep, size_t count) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    if (fields.size() >= count) return std::nullopt;
    size_t end = s.find(sep, start);
    fields.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return fields;
    start = end + 1;
  }
}

bool field_defined(const std::vector<std::string>& f, size_t i) {
  return i < f.size() && !f[i].empty() && f[i] != "*";
}

// lib/filter.c parse_hex_field(): hex digits, and 'x' wildcards where a mask is kept.
bool parse_hex(const std::vector<std::string>& f, size_t i, int& out, unsigned* mask, unsigned max) {
  if (!field_defined(f, i)) return true;
  unsigned value = 0, bound = 0, m = ~0U;
  for (char c : f[i]) {
    if ((c == 'x' || c == 'X') && mask) {
      value <<= 4;
      bound = (bound << 4) | 1;
      m <<= 4;
    } else {
      unsigned digit;
      if (c >= '0' && c <= '9') digit = c - '0';
      else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      else return false;
      value = (value << 4) | digit;
      bound = (bound << 4) | digit;
      m = (m << 4) | 0xf;
    }
    if (bound > max) return false;
  }
  out = static_cast<int>(value);
  if (mask) *mask = m;
  return true;
}

const char* parse_slot(filter& f, const std::string& s) {
  if (s.size() >= 64) return "Expression too long";
  auto fields = split_fields(s, ':', 3);
  if (!fields) return "Too many fields";
  size_t i = 0;
  if (fields->size() > 2) {
    if (!parse_hex(*fields, 0, f.domain, nullptr, 0x7fffffff)) return "Invalid domain number";
    i++;
  }
  if (fields->size() > i + 1) {
    if (!parse_hex(*fields, i, f.bus, nullptr, 0xff)) return "Invalid bus number";
    i++;
  }
  if (field_defined(*fields, i)) {
    auto sub = split_fields((*fields)[i], '.', 2);
    if (!sub) return "Invalid slot/function number";
    if (!parse_hex(*sub, 0, f.slot, nullptr, 0x1f)) return "Invalid slot number";
    if (!parse_hex(*sub, 1, f.func, nullptr, 7)) return "Invalid function number";
  }
  return nullptr;
}

const char* parse_id(filter& f, const std::string& s) {
  if (s.size() >= 64) return "Expression too long";
  auto fields = split_fields(s, ':', 4);
  if (!fields) return "Too many fields";
  if (fields->size() < 2) return "At least two fields must be given";
  if (!parse_hex(*fields, 0, f.vendor, nullptr, 0xffff)) return "Invalid vendor ID";
  if (!parse_hex(*fields, 1, f.device, nullptr, 0xffff)) return "Invalid device ID";
  if (!parse_hex(*fields, 2, f.device_class, &f.device_class_mask, 0xffff)) return "Invalid class code";
  if (!parse_hex(*fields, 3, f.prog_if, nullptr, 0xff)) return "Invalid programming interface code";
  return nullptr;
}

// getopt(3) over lspci's option string, restricted to what the shell supports.
void parse_options(const std::vector<std::string>& args, options& opt, filter& flt) {
  auto invalid = [](char c) { return usage_error{fmt::format("lspci: invalid option -- '{}'\n", c)}; };
  bool stray_argument = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      stray_argument = stray_argument || i + 1 < args.size();
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      stray_argument = true;   // getopt permutes it to the end; lspci then prints usage
      continue;
    }
    for (size_t j = 1; j < a.size(); ++j) {
      char c = a[j];
      switch (c) {
        case 'n': opt.numeric++; break;
        case 'v': opt.verbose++; break;
        case 'x': opt.hex++; break;
        case 'k': opt.kernel = true; break;
        case 't': opt.tree = true; break;
        case 'D': opt.domains = true; break;
        case 's':
        case 'd': {
          std::string value;
          if (j + 1 < a.size()) value = a.substr(j + 1);
          else if (i + 1 < args.size()) value = args[++i];
          else throw usage_error{fmt::format("lspci: option requires an argument -- '{}'\n", c)};
          const char* err = c == 's' ? parse_slot(flt, value) : parse_id(flt, value);
          if (err) throw usage_error{fmt::format("lspci: -{}: {}\n", c, err)};
          flt.given = true;
          j = a.size();
          break;
        }
        default: throw invalid(c);
      }
    }
  }
  if (stray_argument) throw usage_error{""};
}

void show_kernel(std::string& out, const device_ctx& d) {
  if (!d.dev.driver.empty()) put(out, "\tKernel driver in use: {}\n", d.dev.driver);
  for (size_t i = 0; i < d.dev.modules.size(); ++i)
    put(out, "{} {}", i ? "," : "\tKernel modules:", d.dev.modules[i]);
  if (!d.dev.modules.empty()) out += '\n';
}

// lspci.c show_hex_dump(): the standard header, or 256 / 4096 bytes with -xxx / -xxxx.
void show_hex_dump(std::string& out, const device_ctx& d) {
  unsigned count = d.header_type() == HEADER_CARDBUS ? 128 : 64;
  if (d.opt.hex >= 3 && d.cfg.has(0, 256)) {
    count = 256;
    if (d.opt.hex >= 4 && d.cfg.has(0, 4096)) count = 4096;
  }
  // By hand, not through fmt: a rack's dumps are millions of bytes.
  static constexpr char HEX[] = "0123456789abcdef";
  out.reserve(out.size() + count / 16 * (4 + 16 * 3 + 1));
  for (unsigned i = 0; i < count; ++i) {
    if (!(i & 15)) {
      if (i >= 0x100) out += HEX[(i >> 8) & 0xf];
      out += HEX[(i >> 4) & 0xf];
      out += HEX[i & 0xf];
      out += ':';
    }
    const uint8_t b = d.cfg.u8(i);
    out += ' ';
    out += HEX[b >> 4];
    out += HEX[b & 0xf];
    if ((i & 15) == 15) out += '\n';
  }
}

void show_device(std::string& out, const device_ctx& d) {
  if (d.opt.verbose) show_verbose_header(out, d);
  else show_terse(out, d);
  if (d.opt.kernel || d.opt.verbose) show_kernel(out, d);
  if (d.opt.hex) show_hex_dump(out, d);
  if (d.opt.verbose || d.opt.hex) out += '\n';
}

}  // namespace

std::string slot_name(const device_ctx& d) {
  std::string s = d.opt.domains ? fmt::format("{:04x}:", d.dev.domain) : std::string();
  return s + fmt::format("{:02x}:{:02x}.{:d}", d.dev.bus, d.dev.dev, d.dev.fn);
}

// lspci.c show_terse().
void show_terse(std::string& out, const device_ctx& d) {
  put(out, "{} {}: {}", slot_name(d), class_text(d.device_class(), d.opt.numeric),
      vendor_device_text(d));
  if (uint8_t rev = d.cfg.u8(CFG_REVISION)) put(out, " (rev {:02x})", rev);
  if (d.opt.verbose) {
    uint8_t prog_if = d.cfg.u8(CFG_PROG_IF);
    auto name = prog_if_name(d.device_class(), prog_if);
    if (prog_if || name) {
      put(out, " (prog-if {:02x}", prog_if);
      if (name) put(out, " [{}]", *name);
      out += ')';
    }
  }
  out += '\n';
  if (d.opt.verbose || d.opt.kernel) {
    std::optional<std::pair<uint16_t, uint16_t>> sub;
    if (d.header_type() == HEADER_NORMAL)
      sub = std::make_pair(d.cfg.u16(CFG_SUBSYS_VENDOR), d.cfg.u16(CFG_SUBSYS_VENDOR + 2));
    else if (d.header_type() == HEADER_CARDBUS)
      sub = std::make_pair(d.cfg.u16(0x40), d.cfg.u16(0x42));
    else if (d.header_type() == HEADER_BRIDGE)
      sub = ssvid_capability(d);   // libpci reads a bridge's IDs from its SSVID capability
    if (sub && sub->first && sub->first != 0xffff)
      put(out, "\tSubsystem: {}\n", subsystem_text(d, sub->first, sub->second));
  }
}

bool filter_match(const filter& f, const device_ctx& d) {
  if ((f.domain >= 0 && f.domain != d.dev.domain) || (f.bus >= 0 && f.bus != d.dev.bus) ||
      (f.slot >= 0 && f.slot != d.dev.dev) || (f.func >= 0 && f.func != d.dev.fn))
    return false;
  if ((f.vendor >= 0 && f.vendor != d.vendor_id()) || (f.device >= 0 && f.device != d.device_id()))
    return false;
  if (f.device_class >= 0 && ((f.device_class ^ d.device_class()) & f.device_class_mask)) return false;
  if (f.prog_if >= 0 && f.prog_if != d.cfg.u8(CFG_PROG_IF)) return false;
  return true;
}

}  // namespace lspci_impl

lspci_result lspci(const std::vector<lspci_device>& devices, const std::vector<std::string>& args) {
  using namespace lspci_impl;
  lspci_result result;
  try {
    if (args.size() == 1 && args[0] == "--version") {
      result.out = "lspci version 3.9.0\n";
      return result;
    }
    options opt;
    filter flt;
    try {
      parse_options(args, opt, flt);
    } catch (const usage_error& e) {
      result.status = 2;
      result.err = e.message;
      // A bad filter expression is fatal on its own; everything else shows the usage.
      if (e.message.find(": -") == std::string::npos) result.err += USAGE;
      return result;
    }
    std::vector<const lspci_device*> sorted;
    for (const auto& dev : devices) {
      if (dev.domain) opt.domains = true;
      if (dev.config.size() < 64) {
        result.err += fmt::format(
            "lspci: Unable to read the standard configuration space header of device "
            "{:04x}:{:02x}:{:02x}.{:d}\n", dev.domain, dev.bus, dev.dev, dev.fn);
        result.status = 2;
        continue;
      }
      sorted.push_back(&dev);
    }
    std::stable_sort(sorted.begin(), sorted.end(), [](const lspci_device* a, const lspci_device* b) {
      return std::tie(a->domain, a->bus, a->dev, a->fn) < std::tie(b->domain, b->bus, b->dev, b->fn);
    });
    std::vector<device_ctx> ctx;
    ctx.reserve(sorted.size());
    for (const auto* dev : sorted) ctx.push_back(device_ctx{*dev, config_view(dev->config), opt});
    if (opt.tree) {
      show_tree(result.out, ctx, flt);
    } else {
      for (const auto& d : ctx)
        if (filter_match(flt, d)) show_device(result.out, d);
    }
  } catch (const std::exception& e) {
    // Formatting plain data should never throw; if it does, report rather than crash
    // the simulated shell.
    result.status = 2;
    result.err += fmt::format("lspci: internal error: {}\n", e.what());
  }
  return result;
}

std::string lspci_dump(const lspci_device& device) {
  return lspci({device}, {"-xxxx"}).out;
}

}  // namespace iovsim::host
