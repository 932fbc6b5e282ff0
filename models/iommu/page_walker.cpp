#include "models/iommu/page_walker.h"

namespace iovsim::iommu {

namespace {

entry128 read128(mem::phys_mem& m, uint64_t addr) {
  return {m.read64(addr), m.read64(addr + 8)};
}

bool beyond(uint64_t addr, unsigned width_bits) {
  return width_bits < 64 && (addr >> width_bits) != 0;
}

bool aw_supported(unsigned aw) { return aw == CTX_AW_39BIT || aw == CTX_AW_48BIT; }

translation fault(fault_reason r, const context_entry& ctx, unsigned reads) {
  translation t;
  t.fault = r;
  t.domain = ctx.domain;
  t.memory_reads = reads;
  t.fault_processing_disabled = ctx.fault_processing_disable;
  return t;
}

}  // namespace

context_result lookup_context(mem::phys_mem& memory, uint64_t root_table_addr, uint16_t source_id,
                              unsigned host_address_width_bits) {
  context_result r;
  const uint64_t root_addr = root_table_addr + (source_id >> 8) * uint64_t{ENTRY128_BYTES};
  r.memory_reads = 1;
  if (!memory.contains(root_addr, ENTRY128_BYTES)) {
    r.fault = fault_reason::root_table_invalid;
    return r;
  }
  const root_entry root = decode_root(read128(memory, root_addr));
  if (!root.present) {
    r.fault = fault_reason::root_not_present;
    return r;
  }
  if (beyond(root.context_table, host_address_width_bits)) {
    r.fault = fault_reason::next_table_invalid;
    return r;
  }
  const uint64_t ctx_addr = root.context_table + (source_id & 0xff) * uint64_t{ENTRY128_BYTES};
  r.memory_reads = 2;
  if (!memory.contains(ctx_addr, ENTRY128_BYTES)) {
    r.fault = fault_reason::context_table_invalid;
    return r;
  }
  r.ctx = decode_context(read128(memory, ctx_addr));
  if (!r.ctx.present) {
    r.fault = fault_reason::context_not_present;
  } else if (r.ctx.tt == TT_RESERVED) {
    r.fault = fault_reason::invalid_context;
  } else if (r.ctx.tt != static_cast<unsigned>(translation_type::pass_through)) {
    if (!aw_supported(r.ctx.aw)) r.fault = fault_reason::invalid_context;
    else if (beyond(r.ctx.slptptr, host_address_width_bits)) r.fault = fault_reason::next_table_invalid;
  }
  return r;
}

translation walk_second_level(mem::phys_mem& memory, const context_entry& ctx, uint64_t iova, access_check check,
                              unsigned host_address_width_bits, walk_cache* pwc) {
  if (ctx.tt == static_cast<unsigned>(translation_type::pass_through)) {
    // VT-d 3.9: pass-through requests are not translated; full permission.
    translation t;
    t.hpa = iova;
    t.read = t.write = true;
    t.domain = ctx.domain;
    t.pass_through = true;
    t.fault_processing_disabled = ctx.fault_processing_disable;
    return t;
  }
  if (beyond(iova, aw_bits(ctx.aw))) return fault(fault_reason::beyond_address_width, ctx, 0);

  bool read = true, write = true;
  uint64_t table = ctx.slptptr;
  unsigned reads = 0;
  unsigned start = aw_levels(ctx.aw);
  if (pwc && pwc->enabled()) {
    const walk_cache::hit h = pwc->lookup(ctx.domain, iova, start);
    if (h.next_level) {
      start = h.next_level;
      table = h.table;
      read = h.read;
      write = h.write;
    }
  } else {
    pwc = nullptr;
  }
  const unsigned top = aw_levels(ctx.aw);
  for (unsigned level = start; level >= 1; --level) {
    const uint64_t pte_addr = table + level_index(iova, level) * uint64_t{SL_PTE_BYTES};
    ++reads;
    if (!memory.contains(pte_addr, SL_PTE_BYTES))
      return fault(level == top ? fault_reason::invalid_context : fault_reason::next_table_invalid, ctx, reads);
    const sl_pte pte = decode_sl_pte(memory.read64(pte_addr));
    read = read && pte.read;
    write = write && pte.write;
    if (check == access_check::write && !write) return fault(fault_reason::write_not_allowed, ctx, reads);
    if (check == access_check::read && !read) return fault(fault_reason::read_not_allowed, ctx, reads);
    if (check == access_check::none && !pte.present()) {
      // ATS: a not-present entry answers with no permission (and a 4 KiB span).
      translation t = fault(fault_reason::none, ctx, reads);
      t.device_tlb = ctx.tt == static_cast<unsigned>(translation_type::with_device_tlb);
      return t;
    }
    const bool leaf = level == 1 || (pte.page_size && (level == SL_LEVEL_2M || level == SL_LEVEL_1G));
    if (!leaf && pte.page_size && level > SL_LEVEL_1G) return fault(fault_reason::next_table_invalid, ctx, reads);
    if (leaf) {
      const uint64_t span = level_span(level);
      translation t;
      t.hpa = (pte.addr & ~(span - 1)) | (iova & (span - 1));
      t.page_size = span;
      t.read = read;
      t.write = write;
      t.domain = ctx.domain;
      t.memory_reads = reads;
      t.fault_processing_disabled = ctx.fault_processing_disable;
      t.device_tlb = ctx.tt == static_cast<unsigned>(translation_type::with_device_tlb);
      return t;
    }
    if (beyond(pte.addr, host_address_width_bits)) return fault(fault_reason::next_table_invalid, ctx, reads);
    table = pte.addr;
    if (pwc) pwc->insert(ctx.domain, iova, level, table, read, write);
  }
  return fault(fault_reason::next_table_invalid, ctx, reads);  // not reached: level 1 is a leaf
}

translation walk(mem::phys_mem& memory, uint64_t root_table_addr, uint16_t source_id, uint64_t iova, bool is_write,
                 unsigned max_address_width_bits) {
  const context_result c = lookup_context(memory, root_table_addr, source_id, max_address_width_bits);
  if (c.fault != fault_reason::none) {
    translation t = fault(c.fault, c.ctx, c.memory_reads);
    // A context that is not present carries no valid FPD bit (VT-d 7.1.2).
    if (c.fault == fault_reason::root_not_present || c.fault == fault_reason::context_not_present)
      t.fault_processing_disabled = false;
    return t;
  }
  translation t = walk_second_level(memory, c.ctx, iova, is_write ? access_check::write : access_check::read,
                                    max_address_width_bits);
  t.memory_reads += c.memory_reads;
  return t;
}

}  // namespace iovsim::iommu
