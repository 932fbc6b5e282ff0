#include "models/net/pcap.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace iovsim::net {

namespace {
constexpr size_t BUFFER_BYTES = 256 * 1024;  // a few hundred frames per fwrite

void put_le16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}
void put_le32(std::vector<uint8_t>& out, uint32_t v) {
  put_le16(out, static_cast<uint16_t>(v));
  put_le16(out, static_cast<uint16_t>(v >> 16));
}
std::string reason() { return errno ? std::strerror(errno) : "input/output error"; }
}  // namespace

pcap_writer::~pcap_writer() {
  if (!m_file) return;
  flush();
  std::fclose(m_file);
}

void pcap_writer::open(const std::string& path, uint32_t snaplen) {
  if (m_file) throw pcap_error("cannot write " + path + ": a capture to " + m_path + " is still open");
  if (snaplen == 0 || snaplen > PCAP_MAX_SNAPLEN)
    throw pcap_error("cannot write " + path + ": snaplen " + std::to_string(snaplen) + " is not in 1.." +
                     std::to_string(PCAP_MAX_SNAPLEN));
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw pcap_error("cannot write " + path + ": " + reason());
  m_file = f;
  m_path = path;
  m_error.clear();
  m_snaplen = snaplen;
  m_frames = 0;
  m_buffer.clear();
  m_buffer.reserve(BUFFER_BYTES + PCAP_RECORD_HEADER_BYTES + PCAP_MAX_SNAPLEN);
  // pcap-savefile(5): magic, version 2.4, thiszone 0, sigfigs 0, snaplen, link type.
  put_le32(m_buffer, PCAP_MAGIC_NS);
  put_le16(m_buffer, 2);
  put_le16(m_buffer, 4);
  put_le32(m_buffer, 0);
  put_le32(m_buffer, 0);
  put_le32(m_buffer, snaplen);
  put_le32(m_buffer, LINKTYPE_ETHERNET);
}

void pcap_writer::write(uint64_t time_ps, const uint8_t* bytes, uint32_t len) {
  if (!m_file || !m_error.empty()) return;
  const uint32_t caplen = std::min(len, m_snaplen);
  const uint64_t ns = time_ps / 1000;
  put_le32(m_buffer, static_cast<uint32_t>(ns / 1'000'000'000));  // 32-bit seconds: 136 years of sim time
  put_le32(m_buffer, static_cast<uint32_t>(ns % 1'000'000'000));
  put_le32(m_buffer, caplen);
  put_le32(m_buffer, len);
  m_buffer.insert(m_buffer.end(), bytes, bytes + caplen);
  ++m_frames;
  if (m_buffer.size() >= BUFFER_BYTES) flush();
}

void pcap_writer::flush() {
  if (m_buffer.empty() || !m_error.empty()) return;
  errno = 0;
  if (std::fwrite(m_buffer.data(), 1, m_buffer.size(), m_file) != m_buffer.size()) fail();
  m_buffer.clear();
}

void pcap_writer::fail() {
  if (m_error.empty()) m_error = "cannot write " + m_path + ": " + reason();
}

void pcap_writer::close() {
  if (!m_file) return;
  flush();
  errno = 0;
  // stdio rather than ofstream: fclose() reports the full disk a stream would drop.
  if (std::fclose(m_file) != 0) fail();
  m_file = nullptr;
  m_buffer = {};
  if (!m_error.empty()) throw pcap_error(m_error);
}

}  // namespace iovsim::net
