// How people write traffic and link settings, read into numbers (no SystemC: the
// scenario loader checks them, the shell's `traffic` verb and the engine use them):
// rates as testers quote them, frame-size lists, MAC lists, link speeds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/net/headers.h"

namespace iovsim::net {

// A sending rate: bits per second ("5Gbps", "100Mbps", "64kbps", "1000bps") or frames
// per second ("1Mpps", "10kpps", "500pps"); decimal prefixes, fractions allowed
// ("2.5Gbps"). Exactly one of bps / pps is set. False and `error` when it is not one.
bool parse_traffic_rate(const std::string& text, uint64_t& bps, uint64_t& pps, std::string& error);

// Frame sizes with FCS, sent in turn: "64", "64,594,1518", or "imix" (the simple IMIX
// 7:4:1 sequence of models/net/imix.h). Each 64..MAX_FRAME_BYTES + 4.
bool parse_frame_sizes(const std::string& text, std::vector<uint32_t>& sizes, std::string& error);

// "aa:bb:cc:dd:ee:ff[,aa:...]" into MACs.
bool parse_mac_list(const std::string& text, std::vector<mac_addr>& macs, std::string& error);

// A link speed: "1G", "10G", "25G", "40G", "100G" (also "1000M", "10Gbps") in Mb/s;
// one of the speeds a wire models, else false.
bool parse_link_speed(const std::string& text, uint32_t& mbps, std::string& error);

}  // namespace iovsim::net
