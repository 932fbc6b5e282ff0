// Capture files in the classic libpcap format (pcap-savefile(5); IETF draft
// "PCAP Capture File Format"): link type LINKTYPE_ETHERNET (1), frames without FCS,
// and the nanosecond magic 0xa1b23c4d so simulated times keep their ns (sub-ns is
// truncated). Written little-endian whatever the host, with no wall clock: the same
// run gives the same bytes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace iovsim::net {

constexpr uint32_t PCAP_MAGIC_NS = 0xa1b23c4d;
constexpr uint32_t LINKTYPE_ETHERNET = 1;
constexpr uint32_t PCAP_MAX_SNAPLEN = 262144;  // libpcap's MAXIMUM_SNAPLEN, tcpdump's default
constexpr uint32_t PCAP_FILE_HEADER_BYTES = 24;
constexpr uint32_t PCAP_RECORD_HEADER_BYTES = 16;

// "cannot write <path>: <reason>". The scenario layer turns it into its output error
// (exit 2), the shell's `capture` verb into a command error.
struct pcap_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class pcap_writer {
 public:
  pcap_writer() = default;
  ~pcap_writer();  // closes quietly: call close() to learn about write errors
  pcap_writer(const pcap_writer&) = delete;
  pcap_writer& operator=(const pcap_writer&) = delete;

  // Creates (truncates) the file and writes the file header. Throws pcap_error when
  // the file cannot be created, or for a snaplen outside 1..PCAP_MAX_SNAPLEN.
  void open(const std::string& path, uint32_t snaplen = PCAP_MAX_SNAPLEN);
  // One frame seen at time_ps: caplen = min(len, snaplen), orig_len = len. Buffered;
  // a failure is remembered and reported by close(), so the datapath never throws.
  void write(uint64_t time_ps, const uint8_t* bytes, uint32_t len);
  // Flushes and closes. Throws pcap_error if any write failed (a full disk shows here).
  void close();

  bool is_open() const { return m_file != nullptr; }
  const std::string& path() const { return m_path; }
  uint32_t snaplen() const { return m_snaplen; }
  uint64_t frames() const { return m_frames; }

 private:
  void flush();
  void fail();  // remembers the first failure (errno)

  std::FILE* m_file = nullptr;
  std::string m_path;
  std::string m_error;  // first failure, "" while all is well
  std::vector<uint8_t> m_buffer;
  uint32_t m_snaplen = PCAP_MAX_SNAPLEN;
  uint64_t m_frames = 0;
};

}  // namespace iovsim::net
