// The PF-VF mailbox of the 82599/X540 (REFERENCE.md section 4; Linux ixgbe_mbx.c and
// ixgbevf mbx.c for how software drives it, the 82599 data sheet section 7.10.3.5 for
// the hardware's side). Each VF has 16 words the VF sees at VFMBMEM and the PF at
// PFMBMEM(v). A side takes the buffer by setting its lock bit (VFU, PFU), which holds
// only while the other side does not own it; the VF posts a message with REQ (the PF
// gets a VFREQ bit in PFMBICR and its "other" interrupt), acknowledges with ACK
// (VFACK); the PF posts with STS (the VF gets PFSTS and its mailbox interrupt) and
// acknowledges with ACK (PFACK). PFSTS, PFACK and RSTD clear when the VF reads
// VFMAILBOX. A VF reset (VFCTRL.RST) sets RSTD once the VF's queues are idle again;
// RSTI reads set while the PF driver has not set CTRL_EXT.PFRSTD.
// What the messages mean is software's business: the PF driver answers them.
#include <fmt/format.h>

#include "models/nic/nic_core.h"
#include "models/nic/nic_regs.h"

namespace iovsim::nic {

void nic_core::pf_other_cause() {
  const auto misc = static_cast<uint32_t>(m_pf_regs.get(IVAR_MISC, 4));
  const uint32_t entry = (misc >> 8) & 0xff;
  if (entry & IVAR_ALLOC_VAL) m_irq[0]->cause(entry & 0x3f, sc_core::sc_time_stamp());
}

void nic_core::vf_mailbox_cause(unsigned vf) {
  const auto misc = static_cast<uint32_t>(vf_regs(vf).get(VTIVAR_MISC, 4));
  if (misc & IVAR_ALLOC_VAL) m_irq[1 + vf]->cause(misc & 0x3f, sc_core::sc_time_stamp());
}

void nic_core::mailbox_reset_vf(unsigned vf) {
  mailbox& m = m_mbx[vf];
  m.vfu = m.pfu = m.pfsts = m.pfack = false;
  m.rstd = true;  // the VF's reset is done: software may talk again
}

// The PF's mailbox registers sit in four places of BAR0 (the bank wants them in
// address order): `part` 0 CTRL_EXT, 1 PFMBICR, 2 IVAR_MISC, 3 PFMAILBOX, 4 PFMBMEM.
void nic_core::add_pf_mailbox_regs(kit::reg_bank& r, const config& cfg, unsigned part) {
  switch (part) {
    case 0:
      r.add(kit::reg("CTRL_EXT", CTRL_EXT, 4).rw().doc("extended control: PFRSTD (bit 14) the PF driver is ready"));
      return;
    case 1:
      for (unsigned i = 0; i < 4; ++i)
        r.add(kit::reg(fmt::format("PFMBICR{}", i), PFMBICR0 + 4 * i, 4)
                  .rw()
                  .doc("mailbox causes of VFs 16i..16i+15: VFREQ [15:0], VFACK [31:16] (write 1 to clear)")
                  .on_read_fn([i](kit::reg_bank& b) { b.set(PFMBICR0 + 4 * i, 4, of(b).m_mbicr[i]); })
                  .on_write_fn(
                      [i](kit::reg_bank& b, uint64_t, uint64_t v) { of(b).m_mbicr[i] &= ~static_cast<uint32_t>(v); }));
      return;
    case 2:
      r.add(kit::reg("IVAR_MISC", IVAR_MISC, 4).rw().doc("vectors of the other causes: [15:8] link, mailbox"));
      return;
    case 3:
      for (unsigned v = 0; v < cfg.max_vfs; ++v) {
        const uint32_t ctl = PFMAILBOX0 + 4 * v;
        r.add(kit::reg(fmt::format("PFMAILBOX{}", v), ctl, 4)
                  .rw()
                  .doc("PF side of VF v's mailbox: STS, ACK, VFU, PFU, RVFU")
                  .on_read_fn([v, ctl](kit::reg_bank& b) {
                    const mailbox& m = of(b).m_mbx[v];
                    b.set(ctl, 4, (m.vfu ? PFMAILBOX_VFU : 0) | (m.pfu ? PFMAILBOX_PFU : 0));
                  })
                  .on_write_fn([v](kit::reg_bank& b, uint64_t, uint64_t value) {
                    nic_core& c = of(b);
                    mailbox& m = c.m_mbx[v];
                    if (value & PFMAILBOX_RVFU) m.vfu = false;  // the PF takes the buffer back
                    m.pfu = (value & PFMAILBOX_PFU) && !m.vfu;
                    if (v >= c.m_num_vfs) return;
                    if (value & PFMAILBOX_STS) {
                      m.pfsts = true;
                      ++c.m_mbx_messages;
                      c.vf_mailbox_cause(v);
                    }
                    if (value & PFMAILBOX_ACK) {
                      m.pfack = true;
                      c.vf_mailbox_cause(v);
                    }
                  }));
      }
      return;
    default:
      for (unsigned v = 0; v < cfg.max_vfs; ++v)
        for (unsigned w = 0; w < MBX_WORDS; ++w) {
          const uint32_t off = PFMBMEM0 + 64 * v + 4 * w;
          r.add(kit::reg(fmt::format("PFMBMEM{}_{}", v, w), off, 4)
                    .rw()
                    .doc("VF v's mailbox memory, word w")
                    .on_read_fn([v, w, off](kit::reg_bank& b) { b.set(off, 4, of(b).m_mbx[v].mem[w]); })
                    .on_write_fn([v, w](kit::reg_bank& b, uint64_t, uint64_t value) {
                      of(b).m_mbx[v].mem[w] = static_cast<uint32_t>(value);
                    }));
        }
      return;
  }
}

// A VF's side (its bank's index is 1 + the VF's number).
void nic_core::add_vf_mailbox_regs(kit::reg_bank& r) {
  for (unsigned w = 0; w < MBX_WORDS; ++w) {
    const uint32_t off = VFMBMEM + 4 * w;
    r.add(kit::reg(fmt::format("VFMBMEM{}", w), off, 4)
              .rw()
              .doc("mailbox memory, word w")
              .on_read_fn([w, off](kit::reg_bank& b) { b.set(off, 4, of(b).m_mbx[b.index() - 1].mem[w]); })
              .on_write_fn([w](kit::reg_bank& b, uint64_t, uint64_t value) {
                of(b).m_mbx[b.index() - 1].mem[w] = static_cast<uint32_t>(value);
              }));
  }
  r.add(kit::reg("VFMAILBOX", VFMAILBOX, 4)
            .rw()
            .doc("VF side of the mailbox: REQ, ACK, VFU, PFU, PFSTS, PFACK, RSTI, RSTD")
            .on_read_fn([](kit::reg_bank& b) {
              nic_core& c = of(b);
              mailbox& m = c.m_mbx[b.index() - 1];
              const bool pf_in_reset = !(c.m_pf_regs.get(CTRL_EXT, 4) & CTRL_EXT_PFRSTD);
              b.set(VFMAILBOX, 4,
                    (m.vfu ? VFMAILBOX_VFU : 0) | (m.pfu ? VFMAILBOX_PFU : 0) | (m.pfsts ? VFMAILBOX_PFSTS : 0) |
                        (m.pfack ? VFMAILBOX_PFACK : 0) | (pf_in_reset ? VFMAILBOX_RSTI : 0) |
                        (m.rstd ? VFMAILBOX_RSTD : 0));
              m.pfsts = m.pfack = m.rstd = false;  // read to clear
            })
            .on_write_fn([](kit::reg_bank& b, uint64_t, uint64_t value) {
              nic_core& c = of(b);
              const unsigned vf = b.index() - 1, mbicr = vf / 16, bit = vf % 16;
              mailbox& m = c.m_mbx[vf];
              m.vfu = (value & VFMAILBOX_VFU) && !m.pfu;
              if (value & VFMAILBOX_REQ) {
                c.m_mbicr[mbicr] |= MBVFICR_VFREQ << bit;
                ++c.m_mbx_messages;
                c.pf_other_cause();
              }
              if (value & VFMAILBOX_ACK) {
                c.m_mbicr[mbicr] |= MBVFICR_VFACK << bit;
                c.pf_other_cause();
              }
            }));
}

}  // namespace iovsim::nic
