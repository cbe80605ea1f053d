#!/usr/bin/perl
# Stand-in for vLLM's pods: the vLLM servers and the mesh's inbound proxy, in one process, in
# Perl because it starts in a few milliseconds (Python takes about 90 here, and the kernel suite
# starts one per cell).
#
# Each vLLM PORT: GET /health answers 503 to that port's first request, then 200, so a waiter
# must retry once. Each INBOUND port (the mesh's inbound proxy: Istio's 15006, ztunnel's 15008,
# Linkerd's 4143) takes what the pod's inbound capture redirected to it, or what a peer dialled on
# it directly. A connection that starts with `MESH <port>` came from a client proxy, over "mTLS";
# anything else is plaintext for its original destination port (SO_ORIGINAL_DST), which STRICT
# refuses with a reset (as Envoy, ztunnel and linkerd2-proxy end a connection no policy admits)
# and PERMISSIVE passes on. What it passes on carries a header naming its path, so each answer
# is logged with the path the request took.
# One line per event on stdout: "served 200 GET /health on 8000 via mTLS at 15006",
# "refused plaintext for 8000 at 15006". A child per connection, so a client that never finishes
# its request holds nothing else up.
# Usage: upstream.pl STRICT(0|1) INBOUND[,INBOUND...]|- PORT [PORT...]
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use relay;
use Socket qw(IPPROTO_IP SOL_SOCKET SO_LINGER SOCK_STREAM AF_INET inet_aton pack_sockaddr_in unpack_sockaddr_in);

use constant SO_ORIGINAL_DST => 80;

$SIG{CHLD} = 'IGNORE'; # children are reaped by the kernel
$| = 1;

my ($strict, $inbound_list, @ports) = @ARGV;
my %vllm = map { my $s = relay::listener($_); (fileno($s) => { socket => $s, port => $_, seen => 0 }) } @ports;
my %inbound = $inbound_list eq '-' ? () : map { my $s = relay::listener($_); (fileno($s) => { socket => $s, port => $_ }) } split(/,/, $inbound_list);
print "listening\n";

# One line, up to and including "\n", read a byte at a time so nothing after it is consumed.
sub read_line {
  my ($conn) = @_;
  my $line = '';
  while ($line !~ /\n$/ && length($line) < 8192) {
    my $n = sysread($conn, my $c, 1);
    exit 0 unless $n;
    $line .= $c;
  }
  return $line;
}

sub answer {
  my ($conn, $port, $ready) = @_;
  my $head = '';
  while ($head !~ /\r\n\r\n/) {
    my $n = sysread($conn, my $chunk, 4096);
    exit 0 unless $n;
    $head .= $chunk;
  }
  my ($method, $path) = $head =~ m{^(\S+) (\S+) HTTP/};
  my ($via) = $head =~ m{\r\nX-Kernel-Path: ([^\r]*)\r\n};
  $via = 'plaintext direct' unless defined $via;
  my $ok = $ready && defined $method && $method eq 'GET' && $path eq '/health';
  my $status = $ok ? '200 OK' : '503 Service Unavailable';
  syswrite($conn, "HTTP/1.1 $status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  print 'served ' . substr($status, 0, 3) . ' ' . ($method // '?') . ' ' . ($path // '?') . " on $port via $via\n";
  exit 0;
}

sub inbound {
  my ($client, $listen_port) = @_;
  my $raw = getsockopt($client, IPPROTO_IP, SO_ORIGINAL_DST);
  my $original = $raw ? unpack('n', substr($raw, 2, 2)) : $listen_port;
  my $first = read_line($client);
  my ($target, $via);
  if ($first =~ /^MESH (\d+)\n$/) {
    ($target, $via) = ($1, "mTLS at $listen_port");
    $first = read_line($client);
  } else {
    $target = $original;
    if ($strict || $target == $listen_port) {
      print "refused plaintext for $target at $listen_port\n";
      setsockopt($client, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)); # close with a reset
      close($client);
      exit 0;
    }
    $via = "plaintext at $listen_port";
  }
  socket(my $local, AF_INET, SOCK_STREAM, 0) or exit 0;
  connect($local, pack_sockaddr_in($target, inet_aton('127.0.0.1'))) or exit 0;
  syswrite($local, "${first}X-Kernel-Path: $via\r\n");
  relay::relay($client, $local);
  exit 0;
}

my $fds = '';
vec($fds, $_, 1) = 1 for (keys %vllm, keys %inbound);
while (1) {
  my $ready = $fds;
  next if select($ready, undef, undef, undef) <= 0;
  for my $fd (keys %vllm) {
    next unless vec($ready, $fd, 1);
    accept(my $conn, $vllm{$fd}{socket}) or next;
    my $seen = ++$vllm{$fd}{seen};
    if (fork() == 0) { answer($conn, $vllm{$fd}{port}, $seen > 1); }
    close($conn);
  }
  for my $fd (keys %inbound) {
    next unless vec($ready, $fd, 1);
    accept(my $conn, $inbound{$fd}{socket}) or next;
    if (fork() == 0) { inbound($conn, $inbound{$fd}{port}); }
    close($conn);
  }
}
