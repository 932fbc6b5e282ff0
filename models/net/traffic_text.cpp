#include "models/net/traffic_text.h"

#include <cctype>
#include <cmath>

#include "models/net/frame.h"
#include "models/net/imix.h"

namespace iovsim::net {

namespace {

// "2.5" and a suffix: the number (finite, >= 0) and the lower-cased rest.
bool split_number(const std::string& text, double& value, std::string& rest) {
  size_t i = 0;
  bool digits = false, dot = false;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || (text[i] == '.' && !dot))) {
    digits |= text[i] != '.';
    dot |= text[i] == '.';
    ++i;
  }
  if (!digits || i > 24) return false;
  value = std::stod(text.substr(0, i));
  rest.clear();
  for (size_t j = i; j < text.size(); ++j) rest += static_cast<char>(std::tolower(static_cast<unsigned char>(text[j])));
  return std::isfinite(value);
}

double prefix_scale(char c) { return c == 'k' ? 1e3 : c == 'm' ? 1e6 : c == 'g' ? 1e9 : c == 't' ? 1e12 : 0; }

// The speeds a wire models (models/wire/ethernet.h SUPPORTED_RATES_MBPS).
constexpr uint32_t LINK_SPEEDS_MBPS[] = {1000, 10000, 25000, 40000, 100000};

}  // namespace

bool parse_traffic_rate(const std::string& text, uint64_t& bps, uint64_t& pps, std::string& error) {
  bps = pps = 0;
  double v = 0;
  std::string unit;
  error = "\"" + text + "\" is not a rate (e.g. 5Gbps, 100Mbps, 1Mpps, 10kpps)";
  if (!split_number(text, v, unit)) return false;
  double scale = 1;
  if (unit.size() > 3 && prefix_scale(unit[0]) != 0) {
    scale = prefix_scale(unit[0]);
    unit.erase(0, 1);
  }
  if (unit != "bps" && unit != "pps") return false;
  const double value = v * scale;
  if (value < 1 || value > 1e15) {
    error = "\"" + text + "\" is outside 1 per second..1 Pb/s";
    return false;
  }
  (unit == "bps" ? bps : pps) = static_cast<uint64_t>(std::llround(value));
  return true;
}

bool parse_frame_sizes(const std::string& text, std::vector<uint32_t>& sizes, std::string& error) {
  sizes.clear();
  if (text == "imix" || text == "IMIX") {
    sizes = size_mix::simple_imix().pattern();
    return true;
  }
  const uint32_t max = MAX_FRAME_BYTES + 4;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    uint64_t v = 0;
    bool ok = !item.empty() && item.size() <= 6;
    for (const char c : item) ok = ok && std::isdigit(static_cast<unsigned char>(c));
    if (ok) v = std::stoull(item);
    if (!ok || v < 64 || v > max) {
      error = "\"" + item + "\" is not a frame size (64.." + std::to_string(max) +
              " bytes with FCS, a list like 64,1518, or imix)";
      return false;
    }
    sizes.push_back(static_cast<uint32_t>(v));
    if (comma == std::string::npos) return true;
    if (sizes.size() >= 1024) {
      error = "more than 1024 frame sizes";
      return false;
    }
    start = comma + 1;
  }
}

bool parse_mac_list(const std::string& text, std::vector<mac_addr>& macs, std::string& error) {
  macs.clear();
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto mac = mac_addr::parse(item);
    if (!mac) {
      error = "\"" + item + "\" is not a MAC address (aa:bb:cc:dd:ee:ff)";
      return false;
    }
    macs.push_back(*mac);
    if (comma == std::string::npos) return true;
    if (macs.size() >= 1024) {
      error = "more than 1024 MAC addresses";
      return false;
    }
    start = comma + 1;
  }
}

bool parse_link_speed(const std::string& text, uint32_t& mbps, std::string& error) {
  double v = 0;
  std::string unit;
  error = "\"" + text + "\" is not a link speed (1G, 10G, 25G, 40G or 100G)";
  if (!split_number(text, v, unit)) return false;
  if (unit.size() > 3 && unit.compare(unit.size() - 3, 3, "bps") == 0) unit.resize(unit.size() - 3);
  double scale = 0;
  if (unit == "g")
    scale = 1000;
  else if (unit == "m")
    scale = 1;
  if (scale == 0) return false;
  const double m = v * scale;
  for (const uint32_t s : LINK_SPEEDS_MBPS)
    if (m == s) {
      mbps = s;
      return true;
    }
  return false;
}

}  // namespace iovsim::net
