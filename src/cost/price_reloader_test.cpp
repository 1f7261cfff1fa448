#include "cost/price_reloader.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

namespace llmgw::cost {
namespace {

namespace fs = std::filesystem;

struct temp_file {
  fs::path path = fs::temp_directory_path() / ("llmgw-prices-" + std::to_string(::getpid()) + ".json");
  ~temp_file() { fs::remove(path); }
  void write(std::string_view text) const {
    const fs::path tmp = path.string() + ".tmp";
    std::ofstream(tmp) << text;
    fs::rename(tmp, path);  // whole, as an editor or a deploy would
  }
};

double input_per_mtok(const price_book& book, std::string_view model) {
  const auto p = book.snapshot()->find(nullptr, "openai", "openai", model);
  return p ? p->base.input * 1e6 : -1;
}

template <class F>
bool eventually(F f) {
  for (int i = 0; i < 300; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(price_reloader, file_wins_over_builtin_and_config_over_file) {
  temp_file f;
  f.write(R"({"m": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06}})");
  price_table builtin;
  model_price b;
  b.base.input = 9e-6;
  builtin.set("m", b);
  builtin.set("n", b);
  price_book book(initial_catalog(f.path.string(), nullptr, &builtin));
  EXPECT_DOUBLE_EQ(input_per_mtok(book, "m"), 1.0);
  EXPECT_DOUBLE_EQ(input_per_mtok(book, "n"), 9.0);
  auto configured = std::make_shared<price_table>();
  model_price c;
  c.base.input = 3e-6;
  configured->set("m", c);
  price_book book2(initial_catalog(f.path.string(), configured, &builtin));
  EXPECT_DOUBLE_EQ(input_per_mtok(book2, "m"), 3.0);
  // A deployment's own price wins over all.
  price_config d{7.0, 8.0, {}, {}};
  EXPECT_DOUBLE_EQ(book2.snapshot()->find(&d, "openai", "openai", "m")->base.input * 1e6, 7.0);
}

TEST(price_reloader, a_bad_file_at_start_fails_naming_it) {
  temp_file f;
  f.write("{not json");
  try {
    initial_catalog(f.path.string(), nullptr, nullptr);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(f.path.string()), std::string::npos) << e.what();
  }
}

TEST(price_reloader, a_changed_file_is_reloaded_and_a_bad_one_keeps_the_old_prices) {
  temp_file f;
  f.write(R"({"m": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06}})");
  price_book book(initial_catalog(f.path.string(), nullptr, nullptr));
  price_reloader r(book, f.path.string(), nullptr, nullptr, std::chrono::milliseconds(20));
  r.start();
  const auto v0 = book.version();
  f.write(R"({"m": {"input_cost_per_token": 2e-06, "output_cost_per_token": 1e-06}})");
  EXPECT_TRUE(eventually([&] { return input_per_mtok(book, "m") == 2.0; }));
  EXPECT_GT(book.version(), v0);
  const auto v1 = book.version();
  f.write(R"({"m": {"input_cost_per_token": "two"}})");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(book.version(), v1);
  EXPECT_DOUBLE_EQ(input_per_mtok(book, "m"), 2.0);
  EXPECT_FALSE(r.reload("test"));
}

TEST(price_reloader, sighup_reloads) {
  temp_file f;
  f.write(R"({"m": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06}})");
  price_book book(initial_catalog(f.path.string(), nullptr, nullptr));
  // A poll slower than the test: only the signal can bring the change in.
  price_reloader r(book, f.path.string(), nullptr, nullptr, std::chrono::hours(1));
  r.start();
  f.write(R"({"m": {"input_cost_per_token": 4e-06, "output_cost_per_token": 1e-06}})");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_DOUBLE_EQ(input_per_mtok(book, "m"), 1.0);
  ::kill(::getpid(), SIGHUP);
  EXPECT_TRUE(eventually([&] { return input_per_mtok(book, "m") == 4.0; }));
}

}  // namespace
}  // namespace llmgw::cost

namespace llmgw::cost {
namespace {

TEST(price_catalog, unpriced_requests_are_counted_for_the_metrics) {
  const auto before = unpriced_requests();
  count_unpriced_request();
  count_unpriced_request();
  EXPECT_EQ(unpriced_requests(), before + 2);
  // What the catalog cannot price is unknown (nullopt), never a zero price.
  price_catalog empty;
  EXPECT_FALSE(empty.find(nullptr, "openai", "openai", "gpt-4o"));
}

}  // namespace
}  // namespace llmgw::cost
