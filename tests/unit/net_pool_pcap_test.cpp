// The packet library's frame pool (ids, counters, no growth in steady state, reset
// on return), the pcap writer (exact header and record bytes, buffering, errors) and
// the IMIX size mix. Headers, the parser and RSS: net_test.cpp.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/net/frame.h"
#include "models/net/headers.h"
#include "models/net/imix.h"
#include "models/net/pcap.h"

namespace iovsim::net {
namespace {

using bytes = std::vector<uint8_t>;

bytes bytes_of(const frame& f) { return bytes(f.data(), f.data() + f.size()); }

// ---- the pool

TEST(NetPool, IdsCountersAndSteadyStateWithoutGrowth) {
  frame_pool pool(8);
  EXPECT_EQ(pool.capacity(), 8u);
  frame_ptr a = pool.get(), b = pool.get(), c = pool.get();
  EXPECT_EQ(a->id, 1u);
  EXPECT_EQ(b->id, 2u);
  EXPECT_EQ(c->id, 3u);
  EXPECT_EQ(a->capacity(), MAX_FRAME_BYTES);
  EXPECT_GE(b->data() - a->data(), static_cast<std::ptrdiff_t>(MAX_FRAME_BYTES));  // no overlap
  EXPECT_EQ(pool.in_use(), 3u);
  a.reset();
  b.reset();
  c.reset();
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.peak_in_use(), 3u);

  // 100 000 frames through a window of at most 8 outstanding: no growth, ids in order.
  std::vector<frame_ptr> window(8);
  uint64_t last_id = pool.gets();
  for (int i = 0; i < 100000; ++i) {
    frame_ptr& slot = window[i % 8];
    slot.reset();  // returned first, then reused
    slot = pool.get();
    ASSERT_EQ(slot->id, ++last_id);
    ASSERT_EQ(slot->size(), 0u);
    slot->resize(60);
    slot->born_ps = 1000 + i;
  }
  EXPECT_EQ(pool.capacity(), 8u);
  EXPECT_EQ(pool.grown(), 0u);
  EXPECT_EQ(pool.peak_in_use(), 8u);
  EXPECT_EQ(pool.gets(), 100003u);
  window.clear();
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(NetPool, ReturnedFramesAreResetAndEmptyPoolsGrow) {
  frame_pool pool(1);
  frame* first;
  {
    frame_ptr f = pool.get();
    first = f.get();
    f->resize(100);
    f->born_ps = 5;
    f->rss_hash = 0x51ccc178;
    f->vlan_tci = 100;
    f->vlan_present = true;
  }
  frame_ptr f = pool.get();  // the same frame back, with nothing left of its last life
  EXPECT_EQ(f.get(), first);
  EXPECT_EQ(f->id, 2u);
  EXPECT_EQ(f->size(), 0u);
  EXPECT_EQ(f->born_ps, 0u);
  EXPECT_EQ(f->rss_hash, 0u);
  EXPECT_FALSE(f->vlan_present);
  EXPECT_EQ(f->vlan_tci, 0);

  frame_ptr g = pool.get();  // empty: a chunk of 16 (the minimum chunk) is added
  EXPECT_EQ(pool.capacity(), 17u);
  EXPECT_EQ(pool.grown(), 1u);
  EXPECT_EQ(g->id, 3u);

  try {
    g->resize(MAX_FRAME_BYTES + 1);
    FAIL() << "resize past the capacity was accepted";
  } catch (const std::length_error& e) {
    EXPECT_STREQ(e.what(), "frame 3: 9729 bytes exceed the frame capacity of 9728");
  }
  g->resize(MAX_FRAME_BYTES);
  EXPECT_EQ(g->size(), MAX_FRAME_BYTES);

  const uint8_t data[] = {1, 2, 3};
  f->assign(data, 3);
  f->born_ps = 42;
  f->vlan_tci = 7;
  f->vlan_present = true;
  frame_ptr h = pool.clone(*f);
  EXPECT_EQ(h->id, 4u);
  EXPECT_EQ(bytes_of(*h), (bytes{1, 2, 3}));
  EXPECT_EQ(h->born_ps, 42u);
  EXPECT_TRUE(h->vlan_present);
  EXPECT_NE(h->data(), f->data());
}

TEST(NetPool, DestroyedWithFramesOutSaysSoAndSurvives) {
  const uint64_t before = frame_pool::destroyed_with_frames_out();
  frame_ptr kept;
  testing::internal::CaptureStderr();
  {
    frame_pool pool(2);
    kept = pool.get();
    kept->resize(60);
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "iovsim: frame pool destroyed with 1 frame(s) still in use\n");
  EXPECT_EQ(frame_pool::destroyed_with_frames_out(), before + 1);
  kept->data()[59] = 1;  // its storage is still there
  kept.reset();          // and the late return does nothing
}

// ---- pcap

class NetPcap : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/iovsim_net_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    m_dir = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }
  bytes read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return bytes(std::istreambuf_iterator<char>(in), {});
  }
  std::string m_dir;
};

TEST_F(NetPcap, HeaderAndRecordBytes) {
  const std::string path = m_dir + "/a.pcap";
  pcap_writer w;
  w.open(path, 64);
  bytes frame(100);
  for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<uint8_t>(i);
  w.write(1'234'567'890'123'456ULL, frame.data(), 100);  // 1234.567890123456 s
  w.write(999, frame.data(), 60);                        // sub-ns: truncated to 0 ns
  EXPECT_EQ(w.frames(), 2u);
  w.close();
  const bytes file = read(path);
  ASSERT_EQ(file.size(), 24u + 16 + 64 + 16 + 60);
  const bytes header = {0x4d, 0x3c, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
                        0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
  EXPECT_EQ(bytes(file.begin(), file.begin() + 24), header);
  // 1234 s = 0x4d2, 567890123 ns = 0x21d950cb; caplen 64 (the snaplen), orig 100.
  const bytes record = {0xd2, 0x04, 0x00, 0x00, 0xcb, 0x50, 0xd9, 0x21, 0x40, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00};
  EXPECT_EQ(bytes(file.begin() + 24, file.begin() + 40), record);
  EXPECT_EQ(bytes(file.begin() + 40, file.begin() + 104), bytes(frame.begin(), frame.begin() + 64));
  const bytes second = {0, 0, 0, 0, 0, 0, 0, 0, 0x3c, 0, 0, 0, 0x3c, 0, 0, 0};
  EXPECT_EQ(bytes(file.begin() + 104, file.begin() + 120), second);
}

TEST_F(NetPcap, SameInputSameBytesAcrossBufferFlushes) {
  std::vector<bytes> files;
  for (int run = 0; run < 2; ++run) {
    const std::string path = m_dir + "/run" + std::to_string(run) + ".pcap";
    pcap_writer w;
    w.open(path);
    bytes frame(1514, 0x5a);
    for (uint64_t i = 0; i < 1000; ++i) w.write(i * 1'230'000, frame.data(), 1514);  // past the 256 KiB buffer
    w.close();
    files.push_back(read(path));
  }
  EXPECT_EQ(files[0].size(), 24u + 1000 * (16 + 1514));
  EXPECT_EQ(files[0], files[1]);
}

TEST_F(NetPcap, ErrorsSayWhichFileAndWhy) {
  pcap_writer w;
  try {
    w.open(m_dir + "/no/such/dir/x.pcap");
    FAIL() << "opened a file in a missing folder";
  } catch (const pcap_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write " + m_dir + "/no/such/dir/x.pcap: No such file or directory");
  }
  try {
    w.open(m_dir + "/x.pcap", 0);
    FAIL() << "snaplen 0 accepted";
  } catch (const pcap_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write " + m_dir + "/x.pcap: snaplen 0 is not in 1..262144");
  }
  EXPECT_FALSE(w.is_open());
  // A full disk: /dev/full takes the header into the buffer, then fails the flush.
  w.open("/dev/full", 128);
  bytes frame(60, 1);
  w.write(0, frame.data(), 60);  // never throws in the datapath
  try {
    w.close();
    FAIL() << "a write to /dev/full went unnoticed";
  } catch (const pcap_error& e) {
    EXPECT_STREQ(e.what(), "cannot write /dev/full: No space left on device");
  }
  EXPECT_FALSE(w.is_open());
}

// ---- size mixes

TEST(NetImix, SimpleImixIsAnInterleaved7_4_1) {
  const size_mix m = size_mix::simple_imix();
  EXPECT_EQ(m.period(), 12u);
  EXPECT_EQ(m.pattern(), (std::vector<uint32_t>{64, 594, 64, 64, 594, 64, 1518, 64, 594, 64, 594, 64}));
  EXPECT_EQ(m.wire_bytes(12), 64u);  // repeats
  EXPECT_EQ(m.wire_bytes(18), 1518u);
  EXPECT_DOUBLE_EQ(m.mean_wire_bytes(), 4342.0 / 12);
  EXPECT_EQ(without_fcs(m.wire_bytes(0)), 60u);
  const size_mix f = size_mix::fixed(1518);
  EXPECT_EQ(f.period(), 1u);
  EXPECT_EQ(f.wire_bytes(12345), 1518u);
  // Another mix keeps exact counts per period.
  const size_mix odd({{128, 3}, {256, 2}});
  EXPECT_EQ(odd.pattern(), (std::vector<uint32_t>{128, 256, 128, 256, 128}));
  EXPECT_THROW(size_mix({}), std::invalid_argument);
  EXPECT_THROW(size_mix({{64, 0}}), std::invalid_argument);
  EXPECT_THROW(size_mix({{64, 70000}}), std::invalid_argument);
}

}  // namespace
}  // namespace iovsim::net
