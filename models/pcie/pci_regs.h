// The PCI configuration-space register map: header, capability IDs and the registers
// of the capabilities iovsim models, in one place for models, firmware and host
// software. Offsets and bits: Linux include/uapi/linux/pci_regs.h and the PCIe base
// spec (REFERENCE.md section 1). Plain constants: no SystemC, no code.
#pragma once

#include <cstdint>

namespace iovsim::pcie {

// Header offsets and bits (pci_regs.h).
constexpr uint32_t CFG_VENDOR_ID = 0x00, CFG_DEVICE_ID = 0x02, CFG_COMMAND = 0x04,
                   CFG_STATUS = 0x06, CFG_REVISION = 0x08, CFG_CLASS_PROG = 0x09,
                   CFG_CACHE_LINE = 0x0c, CFG_LATENCY = 0x0d, CFG_HEADER_TYPE = 0x0e,
                   CFG_BAR0 = 0x10, CFG_SUBSYS_VENDOR = 0x2c, CFG_SUBSYS_ID = 0x2e,
                   CFG_CAP_PTR = 0x34, CFG_INT_LINE = 0x3c, CFG_INT_PIN = 0x3d;
// Type-1 header.
constexpr uint32_t CFG_PRIMARY_BUS = 0x18, CFG_SECONDARY_BUS = 0x19, CFG_SUBORDINATE_BUS = 0x1a,
                   CFG_SEC_LATENCY = 0x1b, CFG_IO_BASE = 0x1c, CFG_IO_LIMIT = 0x1d,
                   CFG_SEC_STATUS = 0x1e, CFG_MEM_BASE = 0x20, CFG_MEM_LIMIT = 0x22,
                   CFG_PREF_BASE = 0x24, CFG_PREF_LIMIT = 0x26, CFG_PREF_BASE_UPPER = 0x28,
                   CFG_PREF_LIMIT_UPPER = 0x2c, CFG_IO_BASE_UPPER = 0x30, CFG_BRIDGE_CONTROL = 0x3e;
constexpr uint16_t COMMAND_IO = 0x1, COMMAND_MEMORY = 0x2, COMMAND_MASTER = 0x4,
                   COMMAND_SERR = 0x100, COMMAND_INTX_DISABLE = 0x400;
constexpr uint16_t STATUS_CAP_LIST = 0x10;
constexpr uint32_t BAR_IO = 0x1, BAR_MEM_64 = 0x4, BAR_PREFETCH = 0x8;
constexpr uint32_t CONFIG_SPACE_BYTES = 4096;
constexpr uint32_t EXT_CAP_START = 0x100;

// Capability IDs (pci_regs.h PCI_CAP_ID_*, PCI_EXT_CAP_ID_*).
constexpr uint8_t CAP_ID_PM = 0x01, CAP_ID_MSI = 0x05, CAP_ID_EXP = 0x10, CAP_ID_MSIX = 0x11;
constexpr uint16_t ECAP_ID_AER = 0x01, ECAP_ID_DSN = 0x03, ECAP_ID_ACS = 0x0d, ECAP_ID_ARI = 0x0e,
                   ECAP_ID_ATS = 0x0f, ECAP_ID_SRIOV = 0x10, ECAP_ID_PRI = 0x13, ECAP_ID_PASID = 0x1b;

// PCI Express capability register offsets and bits.
constexpr uint32_t EXP_FLAGS = 0x02, EXP_DEVCAP = 0x04, EXP_DEVCTL = 0x08, EXP_DEVSTA = 0x0a,
                   EXP_LNKCAP = 0x0c, EXP_LNKCTL = 0x10, EXP_LNKSTA = 0x12, EXP_DEVCAP2 = 0x24,
                   EXP_DEVCTL2 = 0x28, EXP_LNKCAP2 = 0x2c, EXP_LNKCTL2 = 0x30;
constexpr uint32_t EXP_DEVCAP_FLR = 1u << 28;
constexpr uint16_t EXP_DEVCTL_BCR_FLR = 0x8000;
constexpr uint16_t EXP_DEVCTL_EXT_TAG = 0x0100;  // Extended Tag Field Enable
constexpr uint32_t EXP_DEVCAP2_ARI = 0x20;
constexpr uint16_t EXP_DEVCTL2_ARI = 0x20;
// Device/Port Type, PCI Express Capabilities register [7:4] (pci_regs.h PCI_EXP_TYPE_*).
enum class port_type : uint8_t {
  endpoint = 0x0,
  root_port = 0x4,
  upstream = 0x5,
  downstream = 0x6,
  root_complex_endpoint = 0x9,
};

// ATS (PCIe base spec 10.5.1; pci_regs.h PCI_ATS_*) and PRI (10.5.2; PCI_PRI_*).
constexpr uint32_t ATS_CAP = 0x04, ATS_CTRL = 0x06;
constexpr uint16_t ATS_CAP_QDEP_MASK = 0x001f, ATS_CAP_PAGE_ALIGNED = 0x0020;
constexpr uint16_t ATS_CTRL_STU_MASK = 0x001f, ATS_CTRL_ENABLE = 0x8000;
constexpr uint32_t PRI_CTRL = 0x04, PRI_STATUS = 0x06, PRI_MAX_REQ = 0x08, PRI_ALLOC_REQ = 0x0c;
constexpr uint16_t PRI_CTRL_ENABLE = 0x0001, PRI_CTRL_RESET = 0x0002;
constexpr uint16_t PRI_STATUS_RF = 0x0001, PRI_STATUS_UPRGI = 0x0002, PRI_STATUS_STOPPED = 0x0100;

// SR-IOV capability offsets and control bits.
constexpr uint32_t SRIOV_CAP = 0x04, SRIOV_CTRL = 0x08, SRIOV_STATUS = 0x0a, SRIOV_INITIAL_VF = 0x0c,
                   SRIOV_TOTAL_VF = 0x0e, SRIOV_NUM_VF = 0x10, SRIOV_FUNC_LINK = 0x12,
                   SRIOV_VF_OFFSET = 0x14, SRIOV_VF_STRIDE = 0x16, SRIOV_VF_DID = 0x1a,
                   SRIOV_SUP_PGSIZE = 0x1c, SRIOV_SYS_PGSIZE = 0x20, SRIOV_BAR = 0x24,
                   SRIOV_VFM = 0x3c;
constexpr uint16_t SRIOV_CTRL_VFE = 0x01, SRIOV_CTRL_VFM = 0x02, SRIOV_CTRL_INTR = 0x04,
                   SRIOV_CTRL_MSE = 0x08, SRIOV_CTRL_ARI = 0x10;

}  // namespace iovsim::pcie
