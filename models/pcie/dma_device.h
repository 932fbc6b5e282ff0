// A DMA test endpoint, in the spirit of QEMU's `edu` teaching device (the idea, not
// its register map): software programs a source, a destination and a length, sets
// START, and the device copies between host memory and its 64 KiB internal buffer
// by DMA, then reports DONE (or ERROR) and optionally interrupts. Built from a device
// profile like every endpoint (profile `iovsim_dma`); only PF 0 has the engine.
//
// BAR0 register map (all little endian; accesses of 1..8 bytes):
//   0x000 ID          RO  32  ID_VALUE ("DMA0" in memory order)
//   0x004 VERSION     RO  32  VERSION_VALUE (major << 16 | minor)
//   0x008 SCRATCH     RW  32  free for software (liveness checks)
//   0x010 SRC_ADDR    RW  64  source: host bus address, or a buffer offset (DIR_TO_HOST)
//   0x018 DST_ADDR    RW  64  destination: buffer offset, or a host bus address (DIR_TO_HOST)
//   0x020 LENGTH      RW  32  bytes to move, 1..BUFFER_BYTES
//   0x024 CONTROL     RW  32  CONTROL_START (write 1 to start; reads 0),
//                             CONTROL_DIR_TO_HOST (0: host -> buffer, 1: buffer -> host),
//                             CONTROL_IRQ_EN (interrupt when the transfer ends)
//   0x028 STATUS          32  STATUS_BUSY (RO), STATUS_DONE (W1C), STATUS_ERROR (W1C;
//                             clearing it clears the code), STATUS_ERR_CODE [15:8] (RO)
//   0x030 XFER_COUNT  RO  64  transfers completed without error
//   0x038 ERR_ADDR    RO  64  host address of the request that failed
//   0x8000-0x17FFF    RW      the buffer (BUFFER_OFFSET, BUFFER_BYTES)
//
// DMA leaves through the initiator socket `dma` as memory requests of at most MPS
// (writes) or MRRS (reads) bytes, as programmed in the PF's Device Control register,
// never crossing a 4 KiB boundary (PCIe base spec 2.2.7), each with the PF's
// requester ID in a kit::pcie_ext. All requests of a transfer are issued at once
// (the path's reservations serialise them); the transfer ends when the last one
// returns, one event later. A non-OK TLM response (an IOMMU fault, an Unsupported
// Request, a Completer Abort) stops the transfer with STATUS_ERROR / ERR_DMA.
#pragma once

#include <cstdint>
#include <functional>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

#include "models/kit/pcie_ext.h"
#include "models/kit/reg_bank.h"
#include "models/pcie/endpoint.h"

namespace iovsim::pcie {

class dma_device : public endpoint {
 public:
  static constexpr uint32_t ID = 0x000, VERSION = 0x004, SCRATCH = 0x008, SRC_ADDR = 0x010, DST_ADDR = 0x018,
                            LENGTH = 0x020, CONTROL = 0x024, STATUS = 0x028, XFER_COUNT = 0x030,
                            ERR_ADDR = 0x038, REGS_BYTES = 0x040;
  static constexpr uint32_t BUFFER_OFFSET = 0x8000, BUFFER_BYTES = 0x10000;
  static constexpr uint32_t ID_VALUE = 0x30414d44, VERSION_VALUE = 0x00010000;
  static constexpr uint32_t CONTROL_START = 0x1, CONTROL_DIR_TO_HOST = 0x2, CONTROL_IRQ_EN = 0x4;
  static constexpr uint32_t STATUS_BUSY = 0x1, STATUS_DONE = 0x2, STATUS_ERROR = 0x4, STATUS_ERR_CODE_SHIFT = 8;
  // STATUS_ERR_CODE values.
  static constexpr uint32_t ERR_NONE = 0, ERR_LENGTH = 1, ERR_NO_BUS_MASTER = 2, ERR_DMA = 3;

  tlm_utils::simple_initiator_socket<dma_device> dma;

  SC_HAS_PROCESS(dma_device);
  dma_device(sc_core::sc_module_name name, const pb::DeviceProfile& profile);
  ~dma_device() override;

  // Notified when a transfer ends (DONE or ERROR set, BUSY clear).
  const sc_core::sc_event& transfer_end() const { return m_end_event; }
  // The completion interrupt (MSI delivery arrives later): called when a transfer
  // ends with CONTROL_IRQ_EN set.
  void set_interrupt_handler(std::function<void()> fn) { m_irq = std::move(fn); }

  void reset() override;

  kit::reg_bank& regs() { return m_regs; }
  std::vector<uint8_t>& buffer() { return m_buffer; }

  // Statistics.
  uint64_t transfers() const { return m_transfers; }
  uint64_t failed_transfers() const { return m_failed; }
  uint64_t requests_issued() const { return m_requests; }
  uint64_t bytes_moved() const { return m_bytes; }
  uint64_t interrupts() const { return m_interrupts; }

 protected:
  uint64_t mmio_read(physical_function& pf, int bar, uint64_t offset, unsigned len) override;
  void mmio_write(physical_function& pf, int bar, uint64_t offset, unsigned len, uint64_t value) override;

 private:
  void write_control(uint64_t old, uint64_t now);
  void write_status(uint64_t old, uint64_t now);
  void run_transfer();      // SC_METHOD on m_start_event
  void finish_transfer();   // SC_METHOD on m_done_event
  void complete(uint32_t err_code);

  kit::reg_bank m_regs;
  std::vector<uint8_t> m_buffer;
  tlm::tlm_generic_payload m_trans;
  kit::pcie_ext m_ext;
  sc_core::sc_event m_start_event, m_done_event, m_end_event;
  std::function<void()> m_irq;
  sc_core::sc_time m_started;
  uint32_t m_pending_error = ERR_NONE;
  uint64_t m_pending_bytes = 0;
  uint64_t m_transfers = 0, m_failed = 0, m_requests = 0, m_bytes = 0, m_interrupts = 0;
};

}  // namespace iovsim::pcie
