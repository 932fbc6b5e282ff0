// What an Ethernet frame costs on the wire (IEEE 802.3): besides the frame itself
// (destination MAC to the end of the payload, as models and pcap files hold it), the
// 7-byte preamble and the start frame delimiter, the 4-byte FCS, padding up to the
// 64-byte minimum frame (FCS included), and the inter-frame gap of 96 bit times.
// A 64 B frame thus holds a 10 Gb/s wire for 84 bytes: 14.88 M frames/s at line rate.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <systemc>

namespace iovsim::wire {

constexpr uint32_t PREAMBLE_BYTES = 7, SFD_BYTES = 1;  // 802.3 clause 3.2.1, 3.2.2
constexpr uint32_t FCS_BYTES = 4;                      // 802.3 clause 3.2.9
constexpr uint32_t MIN_FRAME_BYTES = 64;               // FCS included (clause 4.4.2 minFrameSize)
constexpr uint32_t IFG_BYTES = 12;                     // 96 bit times (clause 4.4.2 interPacketGap)

// Bytes the wire is held for by a frame of `frame_bytes` (without FCS).
constexpr uint64_t wire_bytes(uint32_t frame_bytes) {
  return PREAMBLE_BYTES + SFD_BYTES + std::max<uint64_t>(uint64_t{frame_bytes} + FCS_BYTES, MIN_FRAME_BYTES) +
         IFG_BYTES;
}

// The port speeds iovsim models, Mb/s (1000BASE-T to 100GBASE-R).
constexpr uint32_t SUPPORTED_RATES_MBPS[] = {1000, 10000, 25000, 40000, 100000};
bool is_supported_rate(uint32_t mbps);
// "1000, 10000, 25000, 40000, 100000": for error messages.
std::string supported_rates_text();

// Time `bytes` take at `mbps` (exact to the picosecond: 8 bits / rate).
sc_core::sc_time serialization_time(uint64_t bytes, uint32_t mbps);

}  // namespace iovsim::wire
