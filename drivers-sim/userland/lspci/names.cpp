// pci.ids lookups for lspci. Vendor and device names come with each device (the
// simulated kernel knows them); class and prog-if names are fixed, so their table is
// built in. Formats follow pciutils lib/names.c (format_name, format_name_pair).
#include "drivers-sim/userland/lspci/lspci_caps.h"

#include <map>
#include <sstream>

namespace iovsim::host::lspci_impl {
namespace {

// The class section of pci.ids (2023-04-11, as Debian 12 ships it), comments removed.
constexpr const char* CLASS_TABLE = R"ids(
C 00  Unclassified device
	00  Non-VGA unclassified device
	01  VGA compatible unclassified device
	05  Image coprocessor
C 01  Mass storage controller
	00  SCSI storage controller
	01  IDE interface
		00  ISA Compatibility mode-only controller
		05  PCI native mode-only controller
		0a  ISA Compatibility mode controller, supports both channels switched to PCI native mode
		0f  PCI native mode controller, supports both channels switched to ISA compatibility mode
		80  ISA Compatibility mode-only controller, supports bus mastering
		85  PCI native mode-only controller, supports bus mastering
		8a  ISA Compatibility mode controller, supports both channels switched to PCI native mode, supports bus mastering
		8f  PCI native mode controller, supports both channels switched to ISA compatibility mode, supports bus mastering
	02  Floppy disk controller
	03  IPI bus controller
	04  RAID bus controller
	05  ATA controller
		20  ADMA single stepping
		30  ADMA continuous operation
	06  SATA controller
		00  Vendor specific
		01  AHCI 1.0
		02  Serial Storage Bus
	07  Serial Attached SCSI controller
		01  Serial Storage Bus
	08  Non-Volatile memory controller
		01  NVMHCI
		02  NVM Express
	09  Universal Flash Storage controller
		00  Vendor specific
		01  UFSHCI
	80  Mass storage controller
C 02  Network controller
	00  Ethernet controller
	01  Token ring network controller
	02  FDDI network controller
	03  ATM network controller
	04  ISDN controller
	05  WorldFip controller
	06  PICMG controller
	07  Infiniband controller
	08  Fabric controller
	80  Network controller
C 03  Display controller
	00  VGA compatible controller
		00  VGA controller
		01  8514 controller
	01  XGA compatible controller
	02  3D controller
	80  Display controller
C 04  Multimedia controller
	00  Multimedia video controller
	01  Multimedia audio controller
	02  Computer telephony device
	03  Audio device
	80  Multimedia controller
C 05  Memory controller
	00  RAM memory
	01  FLASH memory
	02  CXL
		00  CXL Memory Device - vendor specific
		10  CXL Memory Device (CXL 2.x)
	80  Memory controller
C 06  Bridge
	00  Host bridge
	01  ISA bridge
	02  EISA bridge
	03  MicroChannel bridge
	04  PCI bridge
		00  Normal decode
		01  Subtractive decode
	05  PCMCIA bridge
	06  NuBus bridge
	07  CardBus bridge
	08  RACEway bridge
		00  Transparent mode
		01  Endpoint mode
	09  Semi-transparent PCI-to-PCI bridge
		40  Primary bus towards host CPU
		80  Secondary bus towards host CPU
	0a  InfiniBand to PCI host bridge
	80  Bridge
C 07  Communication controller
	00  Serial controller
		00  8250
		01  16450
		02  16550
		03  16650
		04  16750
		05  16850
		06  16950
	01  Parallel controller
		00  SPP
		01  BiDir
		02  ECP
		03  IEEE1284
		fe  IEEE1284 Target
	02  Multiport serial controller
	03  Modem
		00  Generic
		01  Hayes/16450
		02  Hayes/16550
		03  Hayes/16650
		04  Hayes/16750
	04  GPIB controller
	05  Smard Card controller
	80  Communication controller
C 08  Generic system peripheral
	00  PIC
		00  8259
		01  ISA PIC
		02  EISA PIC
		10  IO-APIC
		20  IO(X)-APIC
	01  DMA controller
		00  8237
		01  ISA DMA
		02  EISA DMA
	02  Timer
		00  8254
		01  ISA Timer
		02  EISA Timers
		03  HPET
	03  RTC
		00  Generic
		01  ISA RTC
	04  PCI Hot-plug controller
	05  SD Host controller
	06  IOMMU
	80  System peripheral
	99  Timing Card
		01  TAP Timing Card
C 09  Input device controller
	00  Keyboard controller
	01  Digitizer Pen
	02  Mouse controller
	03  Scanner controller
	04  Gameport controller
		00  Generic
		10  Extended
	80  Input device controller
C 0a  Docking station
	00  Generic Docking Station
	80  Docking Station
C 0b  Processor
	00  386
	01  486
	02  Pentium
	10  Alpha
	20  Power PC
	30  MIPS
	40  Co-processor
C 0c  Serial bus controller
	00  FireWire (IEEE 1394)
		00  Generic
		10  OHCI
	01  ACCESS Bus
	02  SSA
	03  USB controller
		00  UHCI
		10  OHCI
		20  EHCI
		30  XHCI
		40  USB4 Host Interface
		80  Unspecified
		fe  USB Device
	04  Fibre Channel
	05  SMBus
	06  InfiniBand
	07  IPMI Interface
		00  SMIC
		01  KCS
		02  BT (Block Transfer)
	08  SERCOS interface
	09  CANBUS
	80  Serial bus controller
C 0d  Wireless controller
	00  IRDA controller
	01  Consumer IR controller
	10  RF controller
	11  Bluetooth
	12  Broadband
	20  802.1a controller
	21  802.1b controller
	80  Wireless controller
C 0e  Intelligent controller
	00  I2O
C 0f  Satellite communications controller
	01  Satellite TV controller
	02  Satellite audio communication controller
	03  Satellite voice communication controller
	04  Satellite data communication controller
C 10  Encryption controller
	00  Network and computing encryption device
	10  Entertainment encryption device
	80  Encryption controller
C 11  Signal processing controller
	00  DPIO module
	01  Performance counters
	10  Communication synchronizer
	20  Signal processing management
	80  Signal processing controller
C 12  Processing accelerators
	00  Processing accelerators
	01  SNIA Smart Data Accelerator Interface (SDXI) controller
C 13  Non-Essential Instrumentation
C 40  Coprocessor
C ff  Unassigned class
)ids";

struct class_names {
  std::map<unsigned, std::string> base;        // cc
  std::map<unsigned, std::string> sub;         // ccss
  std::map<unsigned, std::string> prog_if;     // ccsspp
};

const class_names& names() {
  static const class_names table = [] {
    class_names t;
    std::istringstream in(CLASS_TABLE);
    std::string line;
    unsigned cls = 0, sub = 0;
    while (std::getline(in, line)) {
      if (line.size() < 4) continue;
      if (line.rfind("C ", 0) == 0) {
        cls = std::stoul(line.substr(2, 2), nullptr, 16);
        t.base[cls] = line.substr(6);
      } else if (line.rfind("\t\t", 0) == 0) {
        unsigned pif = std::stoul(line.substr(2, 2), nullptr, 16);
        t.prog_if[(cls << 16) | (sub << 8) | pif] = line.substr(6);
      } else if (line[0] == '\t') {
        sub = std::stoul(line.substr(1, 2), nullptr, 16);
        t.sub[(cls << 8) | sub] = line.substr(5);
      }
    }
    return t;
  }();
  return table;
}

// format_name(): numeric-only, "name", "name [num]" or "unknown num".
std::string format_name(const std::string* name, const std::string& num, const char* unknown,
                        int numeric, bool force_mixed = false) {
  bool mixed = numeric > 1 || force_mixed;
  if (numeric == 1 && !force_mixed) return num;
  if (!name) return mixed ? fmt::format("{} [{}]", unknown, num) : fmt::format("{} {}", unknown, num);
  return mixed ? fmt::format("{} [{}]", *name, num) : *name;
}

}  // namespace

std::string class_text(uint16_t device_class, int numeric) {
  const auto& t = names();
  std::string num = fmt::format("{:04x}", device_class);
  if (numeric == 1) return num;
  auto sub = t.sub.find(device_class);
  if (sub != t.sub.end()) return format_name(&sub->second, num, "Class", numeric);
  // A known base class with an unknown subclass shows the full number.
  auto base = t.base.find(device_class >> 8);
  if (base != t.base.end()) return format_name(&base->second, num, "Class", numeric, true);
  return format_name(nullptr, num, "Class", numeric);
}

std::optional<std::string> prog_if_name(uint16_t device_class, uint8_t prog_if) {
  const auto& t = names();
  auto it = t.prog_if.find((unsigned{device_class} << 8) | prog_if);
  if (it != t.prog_if.end()) return it->second;
  // IDE controllers spell their prog-if bits out (pciutils lib/names.c).
  if (device_class == 0x0101 && !(prog_if & 0x70)) {
    std::string s;
    if (prog_if & 0x80) s += " Master";
    if (prog_if & 0x08) s += " SecP";
    if (prog_if & 0x04) s += " SecO";
    if (prog_if & 0x02) s += " PriP";
    if (prog_if & 0x01) s += " PriO";
    return s.empty() ? s : s.substr(1);
  }
  return std::nullopt;
}

std::string name_pair(const std::string& vendor, const std::string& device, uint16_t vendor_id,
                      uint16_t device_id, int numeric) {
  std::string num = fmt::format("{:04x}:{:04x}", vendor_id, device_id);
  if (numeric == 1) return num;
  bool mixed = numeric > 1;
  if (vendor.empty()) return mixed ? fmt::format("Device [{}]", num) : fmt::format("Device {}", num);
  if (device.empty())
    return mixed ? fmt::format("{} Device [{}]", vendor, num)
                 : fmt::format("{} Device {:04x}", vendor, device_id);
  return mixed ? fmt::format("{} {} [{}]", vendor, device, num) : fmt::format("{} {}", vendor, device);
}

std::string vendor_device_text(const device_ctx& d) {
  return name_pair(d.dev.vendor_name, d.dev.device_name, d.vendor_id(), d.device_id(),
                   d.opt.numeric);
}

std::string subsystem_text(const device_ctx& d, uint16_t sub_vendor, uint16_t sub_device) {
  // pci.ids has no entry when the subsystem is the device itself; lspci then uses
  // the device's own name (lib/names.c id_lookup_subsys).
  const std::string* name = &d.dev.subsys_name;
  if (name->empty() && sub_vendor == d.vendor_id() && sub_device == d.device_id())
    name = &d.dev.device_name;
  const std::string* vendor = &d.dev.subsys_vendor_name;
  if (vendor->empty() && sub_vendor == d.vendor_id()) vendor = &d.dev.vendor_name;
  return name_pair(*vendor, *name, sub_vendor, sub_device, d.opt.numeric);
}

}  // namespace iovsim::host::lspci_impl
