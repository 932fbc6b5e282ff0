// iputils' ping as Debian 12 ships it (iputils 20221126), IPv4 over an ICMP datagram
// socket: ping/ping.c (options, ping4_run, ping4_receive_error_msg, pr_icmph) and
// ping/ping_common.c (pinger, main_loop, gather_statistics, finish). Its output and
// exit status follow those files; its clock is the simulated one, so the RTTs are
// exact and repeatable. It waits in the kernel (ping_recv) between probes, never spins.
//
// Not modelled: hostnames (no resolver: a name is "Name or service not known"),
// IPv6, flood and adaptive modes, -p patterns, the data-corruption report, and a ping
// without -c or -w (a simulated shell has no Ctrl-C to stop it).
#include <fmt/format.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <set>

#include "drivers-sim/userland/tools.h"

namespace iovsim::host {

namespace {

std::string ip_str(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

// inet_aton() for the dotted quad only (a, a.b and hex forms are not accepted here).
bool parse_ipv4(const std::string& s, uint32_t& out) {
  uint32_t v = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    if (i >= s.size() || !isdigit(static_cast<unsigned char>(s[i]))) return false;
    uint32_t octet = 0;
    size_t digits = 0;
    while (i < s.size() && isdigit(static_cast<unsigned char>(s[i])) && digits < 4)
      octet = octet * 10 + (s[i++] - '0'), ++digits;
    if (octet > 255) return false;
    v = v << 8 | octet;
    if (++parts < 4 && (i >= s.size() || s[i++] != '.')) return false;
  }
  if (i != s.size()) return false;
  out = v;
  return true;
}

struct ping_error {
  int status;
  std::string text;
};

// iputils_common.c strtol_or_err(): "invalid argument: 'X'" (exit 1).
long strtol_or_err(const std::string& s, long min, long max) {
  errno = 0;
  char* end = nullptr;
  const long v = s.empty() ? 0 : std::strtol(s.c_str(), &end, 10);
  if (s.empty() || errno || end == s.c_str() || *end)
    throw ping_error{1, fmt::format("ping: invalid argument: '{}'{}\n", s,
                                    errno == ERANGE ? ": Numerical result out of range" : "")};
  if (v < min || v > max)
    throw ping_error{1, fmt::format("ping: invalid argument: '{}': out of range: {} <= value <= {}\n", s, min, max)};
  return v;
}

// ping.c ping_strtod(): seconds as a decimal.
double seconds_or_err(const std::string& s, const char* what) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end == s.c_str() || *end || v < 0 || v > static_cast<double>(INT_MAX) / 1000)
    throw ping_error{2, fmt::format("ping: {}: {}\n", what, s)};
  return v;
}

const char* const USAGE =
    "\nUsage\n  ping [options] <destination>\n\nOptions:\n"
    "  <destination>      dns name or ip address\n"
    "  -c <count>         stop after <count> replies\n"
    "  -I <interface>     either interface name or address\n"
    "  -i <interval>      seconds between sending each packet\n"
    "  -q                 quiet output\n"
    "  -s <size>          use <size> as number of data bytes to be sent\n"
    "  -w <deadline>      reply wait <deadline> in seconds\n"
    "  -W <timeout>       time to wait for response\n"
    "\nFor more details see ping(8).\n";

struct options {
  long count = 0;  // npackets: 0 is unlimited
  long interval_ms = 1000;
  long datalen = 56;       // DEFDATALEN
  long linger_ms = 10000;  // MAXWAIT * 1000
  long deadline_s = 0;
  bool quiet = false;
  std::string device;
  std::string target;
};

options parse_options(const std::vector<std::string>& argv) {
  options o;
  std::vector<std::string> operands;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 2 || a[0] != '-') {
      operands.push_back(a);
      continue;
    }
    for (size_t j = 1; j < a.size(); ++j) {
      const char c = a[j];
      if (c == 'q' || c == 'n' || c == '4') {
        o.quiet |= c == 'q';
        continue;
      }
      if (std::string("cisIWw").find(c) == std::string::npos)
        throw ping_error{2, fmt::format("ping: invalid option -- '{}'\n{}", c, USAGE)};
      std::string value = a.substr(j + 1);
      if (value.empty()) {
        if (i + 1 >= argv.size())
          throw ping_error{2, fmt::format("ping: option requires an argument -- '{}'\n{}", c, USAGE)};
        value = argv[++i];
      }
      if (c == 'c') o.count = strtol_or_err(value, 1, LONG_MAX);
      if (c == 's') o.datalen = strtol_or_err(value, 0, INT_MAX);
      if (c == 'w') o.deadline_s = strtol_or_err(value, 0, INT_MAX);
      if (c == 'I') o.device = value;
      if (c == 'i') o.interval_ms = static_cast<long>(seconds_or_err(value, "bad timing interval") * 1000);
      if (c == 'W') o.linger_ms = static_cast<long>(seconds_or_err(value, "bad linger time") * 1000);
      break;
    }
  }
  if (operands.empty()) throw ping_error{1, "ping: usage error: Destination address required\n"};
  o.target = operands.back();
  return o;
}

// ping_common.c llsqrt(): Newton's integer square root.
long long isqrt(long long a) {
  long long prev = LLONG_MAX, x = a;
  if (x > 0)
    while (x < prev) {
      prev = x;
      x = (x + a / x) / 2;
    }
  return x;
}

// " time=%s ms" with the precision gather_statistics() gives each range (us in).
std::string format_rtt(long t) {
  if (t >= 100000 - 50) return fmt::format("{}", (t + 500) / 1000);
  if (t >= 10000 - 5) return fmt::format("{}.{:01}", (t + 50) / 1000, ((t + 50) % 1000) / 100);
  if (t >= 1000) return fmt::format("{}.{:02}", (t + 5) / 1000, ((t + 5) % 1000) / 10);
  return fmt::format("{}.{:03}", t / 1000, t % 1000);
}

class pinger {
 public:
  pinger(syscalls& sys, const options& o, uint32_t dst) : m_sys(sys), m_o(o), m_dst(dst) {}

  int run(int fd, std::string& out, std::string& err) {
    const uint64_t ms = 1000000;
    const bool timing = m_o.datalen >= 16;  // room for a struct timeval
    const uint64_t start = m_sys.clock_ns();
    uint64_t last_send = start, next_send = start, exit_at = 0;
    const uint64_t deadline_at = m_o.deadline_s ? start + static_cast<uint64_t>(m_o.deadline_s) * 1000 * ms : 0;
    for (;;) {
      if (m_o.count && m_received + m_errors >= m_o.count) break;
      if (m_o.deadline_s && m_errors) break;
      uint64_t now = m_sys.clock_ns();
      if ((exit_at && now >= exit_at) || (deadline_at && now >= deadline_at)) break;
      const bool more = !m_o.count || m_sent < m_o.count;
      if (more && now >= next_send) {
        // pinger(): the data is bytes 0, 1, 2... with the send time over its start.
        std::vector<uint8_t> data(static_cast<size_t>(m_o.datalen));
        for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
        const uint64_t us = now / 1000;
        if (timing)
          for (int b = 0; b < 8; ++b) {
            data[b] = static_cast<uint8_t>((us / 1000000) >> (8 * b));
            data[8 + b] = static_cast<uint8_t>((us % 1000000) >> (8 * b));
          }
        const uint16_t seq = static_cast<uint16_t>(m_sent + 1);
        const int rc = m_sys.ping_send(fd, m_dst, seq, data);
        ++m_sent;
        if (rc < 0) err += fmt::format("ping: sendmsg: {}\n", errno_message(-rc));
        last_send = now;
        next_send = now + static_cast<uint64_t>(m_o.interval_ms) * ms;
        if (m_o.count && m_sent >= m_o.count && !m_o.deadline_s) {
          // __schedule_exit(): twice the longest RTT (at least an interval) once a
          // reply came, else the linger time (-W).
          uint64_t wait_us = static_cast<uint64_t>(m_o.linger_ms) * 1000;
          if (m_received)
            wait_us =
                std::max<uint64_t>(2 * static_cast<uint64_t>(m_tmax), static_cast<uint64_t>(m_o.interval_ms) * 1000);
          exit_at = now + wait_us * 1000;
        }
        continue;
      }
      uint64_t until = more ? next_send : UINT64_MAX;
      if (exit_at) until = std::min(until, exit_at);
      if (deadline_at) until = std::min(until, deadline_at);
      ping_message m;
      if (m_sys.ping_recv(fd, m, until - now) == 1) handle(m, timing, out);
    }
    return finish(start, last_send, timing, out);
  }

 private:
  // acknowledge(): the pipe is how many probes were out when an answer came.
  void acknowledge(uint16_t seq) {
    const uint16_t diff = static_cast<uint16_t>(static_cast<uint16_t>(m_sent) - seq);
    if (diff <= 0x7fff && diff + 1 > m_pipesize) m_pipesize = diff + 1;
  }

  void handle(const ping_message& m, bool timing, std::string& out) {
    if (m.error) {  // ping4_receive_error_msg()
      acknowledge(m.sequence);
      ++m_errors;
      if (!m_o.quiet)
        out += fmt::format("From {} icmp_seq={} {}\n", ip_str(m.from), m.sequence,
                           m.icmp_code == 1 ? "Destination Host Unreachable" : "Destination Net Unreachable");
      return;
    }
    // gather_statistics()
    ++m_received;
    acknowledge(m.sequence);
    long triptime = 0;
    if (timing && m.data.size() >= 16) {
      uint64_t sec = 0, usec = 0;
      for (int b = 0; b < 8; ++b) {
        sec |= uint64_t{m.data[b]} << (8 * b);
        usec |= uint64_t{m.data[8 + b]} << (8 * b);
      }
      triptime = static_cast<long>(m.stamp_ns / 1000 - (sec * 1000000 + usec));
      m_tsum += triptime;
      m_tsum2 += static_cast<long long>(triptime) * triptime;
      m_tmin = std::min(m_tmin, triptime);
      m_tmax = std::max(m_tmax, triptime);
    }
    const bool dup = !m_seen.insert(m.sequence).second;
    if (dup) {
      ++m_repeats;
      --m_received;
    }
    if (m_o.quiet) return;
    out += fmt::format("{} bytes from {}: icmp_seq={} ttl={}", m.icmp_bytes, ip_str(m.from), m.sequence, m.ttl);
    if (m.icmp_bytes < m_o.datalen + 8) {
      out += " (truncated)\n";
      return;
    }
    if (timing) out += " time=" + format_rtt(triptime) + " ms";
    if (dup) out += " (DUP!)";
    if (m.from != m_dst) out += " (DIFFERENT ADDRESS!)";
    out += "\n";
  }

  int finish(uint64_t start, uint64_t last_send, bool timing, std::string& out) {
    const uint64_t elapsed_ns = last_send - start;
    out += fmt::format("\n--- {} ping statistics ---\n", m_o.target);
    out += fmt::format("{} packets transmitted, {} received", m_sent, m_received);
    if (m_repeats) out += fmt::format(", +{} duplicates", m_repeats);
    if (m_errors) out += fmt::format(", +{} errors", m_errors);
    if (m_sent) {
      const float loss = static_cast<float>(static_cast<double>(m_sent - m_received) * 100.0 / m_sent);
      out += fmt::format(", {:g}% packet loss, time {}ms", static_cast<double>(loss), (elapsed_ns + 500000) / 1000000);
    }
    out += "\n";
    std::string comma;
    if (m_received && timing) {
      const long total = m_received + m_repeats;
      const long avg = static_cast<long>(m_tsum / total);
      const long long var = m_tsum < INT_MAX ? (m_tsum2 - (m_tsum * m_tsum) / total) / total
                                             : m_tsum2 / total - static_cast<long long>(avg) * avg;
      const long mdev = static_cast<long>(isqrt(var));
      out += fmt::format("rtt min/avg/max/mdev = {}.{:03}/{}.{:03}/{}.{:03}/{}.{:03} ms", m_tmin / 1000, m_tmin % 1000,
                         avg / 1000, avg % 1000, m_tmax / 1000, m_tmax % 1000, mdev / 1000, mdev % 1000);
      comma = ", ";
    }
    if (m_pipesize > 1) out += fmt::format("{}pipe {}", comma, m_pipesize);
    out += "\n";
    return !m_received || (m_o.deadline_s && m_received < m_o.count) ? 1 : 0;
  }

  syscalls& m_sys;
  const options& m_o;
  uint32_t m_dst;
  long m_sent = 0, m_received = 0, m_errors = 0, m_repeats = 0;
  long m_tmin = LONG_MAX, m_tmax = 0;
  long long m_tsum = 0, m_tsum2 = 0;
  int m_pipesize = -1;
  std::set<uint16_t> m_seen;
};

cmd_result ping(syscalls& sys, const std::vector<std::string>& argv) {
  try {
    const options o = parse_options(argv);
    uint32_t dst = 0;
    if (!parse_ipv4(o.target, dst))
      return cmd_result{2, "", fmt::format("ping: {}: Name or service not known\n", o.target), ""};
    if (!o.count && !o.deadline_s)
      return cmd_result{2, "", "ping: the simulated shell has no Ctrl-C: give -c COUNT or -w DEADLINE\n", ""};
    // The probe socket's connect() finds the source address (or no route).
    uint32_t src = 0;
    int best = -1;
    for (const ifaddr_info& a : sys.rtnl_getaddr())
      if (a.local == dst) src = dst, best = 33;
    if (best < 0)
      for (const route_info& r : sys.rtnl_getroute()) {
        const uint32_t mask = r.prefixlen ? ~uint32_t{0} << (32 - r.prefixlen) : 0;
        bool dev_ok = o.device.empty();
        for (const link_info& l : sys.rtnl_getlink()) dev_ok |= l.ifindex == r.ifindex && l.name == o.device;
        if (dev_ok && ((dst ^ r.dst) & mask) == 0 && static_cast<int>(r.prefixlen) > best)
          best = static_cast<int>(r.prefixlen), src = r.prefsrc;
      }
    const int fd = sys.ping_socket(o.device);
    if (fd < 0)
      return cmd_result{2, "", fmt::format("ping: SO_BINDTODEVICE {}: {}\n", o.device, errno_message(-fd)),
                        errno_name(-fd)};
    if (best < 0) {
      sys.close_socket(fd);
      return cmd_result{2, "", "ping: connect: Network is unreachable\n", "ENETUNREACH"};
    }
    std::string out = fmt::format("PING {} ({}) ", o.target, ip_str(dst));
    if (!o.device.empty()) out += fmt::format("from {} {}: ", ip_str(src), o.device);
    out += fmt::format("{}({}) bytes of data.\n", o.datalen, o.datalen + 28);
    std::string err;
    pinger p(sys, o, dst);
    const int status = p.run(fd, out, err);
    sys.close_socket(fd);
    return cmd_result{status, out, err, ""};
  } catch (const ping_error& e) {
    return cmd_result{e.status, "", e.text, ""};
  }
}

}  // namespace

void register_iputils(shell& sh, syscalls& sys) {
  sh.add_command(
      "ping", [&sys](const std::vector<std::string>& argv, const std::string&) { return ping(sys, argv); },
      "send ICMP echo requests: ping -c COUNT [-i SECONDS] [-s BYTES] [-W SECONDS] [-I IF] [-q] ADDRESS");
}

}  // namespace iovsim::host
