#include "core/append_number.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <random>
#include <string>

namespace llmgw {
namespace {

std::string fixed(double v, int digits) {
  std::string out = "x";  // appends, never replaces
  append_fixed(out, v, digits);
  return out.substr(1);
}

std::string reference(double v, int digits) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, digits);
  return std::string(buf, r.ptr);
}

TEST(append_fixed, writes_exactly_the_digits_asked_for) {
  EXPECT_EQ(fixed(0, 2), "0.00");
  EXPECT_EQ(fixed(5.296612, 2), "5.30");
  EXPECT_EQ(fixed(0.311684, 3), "0.312");
  EXPECT_EQ(fixed(1234.5, 0), "1234");  // half to even, as to_chars
  EXPECT_EQ(fixed(1235.5, 0), "1236");
  EXPECT_EQ(fixed(0.05, 1), "0.1");
  EXPECT_EQ(fixed(7, 6), "7.000000");
  EXPECT_EQ(fixed(0.000001, 6), "0.000001");
  EXPECT_EQ(fixed(-1.25, 1), "-1.2");
  EXPECT_EQ(fixed(-0.001, 2), "-0.00");  // the sign stays, as to_chars writes it
  EXPECT_EQ(fixed(999999999999.99, 2), "999999999999.99");
}

TEST(append_fixed, what_it_does_not_round_itself_goes_to_to_chars) {
  EXPECT_EQ(fixed(1e12, 2), reference(1e12, 2));
  EXPECT_EQ(fixed(-3e15, 1), reference(-3e15, 1));
  EXPECT_EQ(fixed(1.5, 7), reference(1.5, 7));
  EXPECT_EQ(fixed(std::nan(""), 2), reference(std::nan(""), 2));
  EXPECT_EQ(fixed(INFINITY, 2), reference(INFINITY, 2));
}

// Against to_chars, on durations as the log sees them and on values at and
// next to ties (x.xx5), where rounding the scaled product alone goes wrong.
TEST(append_fixed, writes_what_to_chars_writes) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> ms(0, 100'000);
  for (int i = 0; i < 200'000; ++i) {
    const double v = ms(rng);
    for (int digits : {0, 2, 3, 6}) ASSERT_EQ(fixed(v, digits), reference(v, digits)) << v << " " << digits;
  }
  for (long k = 0; k < 200'000; ++k) {
    const double tie = static_cast<double>(2 * k + 1) / 200;  // x.xx5: a tie at 2 digits
    for (double v : {tie, std::nextafter(tie, 0.0), std::nextafter(tie, 1e9), -tie}) {
      ASSERT_EQ(fixed(v, 2), reference(v, 2)) << v;
    }
  }
}

}  // namespace
}  // namespace llmgw
