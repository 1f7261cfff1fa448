#pragma once
// For in-process tests only: a blocking HTTP/1.1 client on loopback (Beast),
// one connection, requests in turn.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <string>
#include <utility>
#include <vector>

namespace llmgw::http::testing {

struct reply {
  int status = 0;
  boost::beast::http::fields headers;
  std::string body;
  boost::system::error_code ec;
};

class client {
 public:
  using header_pairs = std::vector<std::pair<std::string, std::string>>;

  explicit client(std::uint16_t port) : socket_(ioc_) {
    socket_.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }

  reply exchange(boost::beast::http::verb method, std::string target, std::string body = {},
                 header_pairs headers = {{"authorization", "Bearer sk-test"}}) {
    namespace bhttp = boost::beast::http;
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    for (auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    bhttp::write(socket_, req);
    bhttp::response<bhttp::string_body> res;
    reply r;
    bhttp::read(socket_, buffer_, res, r.ec);
    r.status = res.result_int();
    r.headers = res.base();
    r.body = std::move(res.body());
    return r;
  }

  boost::asio::ip::tcp::socket& socket() { return socket_; }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace llmgw::http::testing
