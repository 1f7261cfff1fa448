// Asio's and Beast's own non-template code, compiled once here instead of in
// every file that includes them (BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION): the scheduler, the epoll reactor, the
// socket operations, the TLS engine and Beast's HTTP parser were otherwise
// optimised and sanitizer-instrumented again in each file that uses Asio.
// Only the sanitizer builds compile this file (CMakeLists.txt says why).
//
// Of Beast, only the parts we use: core and http, the list in
// <boost/beast/src.hpp> without WebSocket, zlib and the test stream (half of
// its compile time). Using one of those later fails at link time with its
// name undefined; add its .ipp files here then.
//
// GCC 12 reports boost::optional's storage in Beast's basic_parser as maybe
// used uninitialized (the known boost::optional false positive at -O2); this
// file holds only Boost's code, so that warning is off for all of it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>

#define BOOST_BEAST_SOURCE
#include <boost/beast/core/detail/config.hpp>

#include <boost/beast/core/detail/base64.ipp>
#include <boost/beast/core/detail/impl/temporary_buffer.ipp>
#include <boost/beast/core/detail/sha1.ipp>
#include <boost/beast/core/impl/error.ipp>
#include <boost/beast/core/impl/file_posix.ipp>
#include <boost/beast/core/impl/file_stdio.ipp>
#include <boost/beast/core/impl/file_win32.ipp>
#include <boost/beast/core/impl/flat_static_buffer.ipp>
#include <boost/beast/core/impl/saved_handler.ipp>
#include <boost/beast/core/impl/static_buffer.ipp>
#include <boost/beast/core/impl/string.ipp>
#include <boost/beast/http/detail/basic_parser.ipp>
#include <boost/beast/http/detail/rfc7230.ipp>
#include <boost/beast/http/impl/basic_parser.ipp>
#include <boost/beast/http/impl/error.ipp>
#include <boost/beast/http/impl/field.ipp>
#include <boost/beast/http/impl/fields.ipp>
#include <boost/beast/http/impl/rfc7230.ipp>
#include <boost/beast/http/impl/status.ipp>
#include <boost/beast/http/impl/verb.ipp>
