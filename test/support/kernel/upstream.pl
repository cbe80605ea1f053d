#!/usr/bin/perl
# Stand-in for vLLM's side of the pod network: the vLLM servers and the mesh's inbound proxy, in
# one process, in Perl because it starts in a few milliseconds (Python takes about 90 here, and
# the kernel suite starts one per cell).
#
# Each vLLM PORT: GET /health answers 503 to that port's first connection, then 200, so a waiter
# must retry once. MESH_PORT: accepts "mTLS" connections, reads the original port the client
# proxy sends first, and hands the connection to 127.0.0.1:PORT. A child per connection, so a
# client that never finishes its request holds nothing else up.
# Usage: upstream.pl MESH_PORT PORT [PORT...]
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use relay;
use Socket qw(SOCK_STREAM AF_INET inet_aton pack_sockaddr_in);

$SIG{CHLD} = 'IGNORE'; # children are reaped by the kernel
$| = 1;

my ($mesh_port, @ports) = @ARGV;
my %vllm = map { my $s = relay::listener($_); (fileno($s) => { socket => $s, seen => 0 }) } @ports;
my $mesh = relay::listener($mesh_port);
print "listening\n";

sub answer {
  my ($conn, $ready) = @_;
  my $head = '';
  while ($head !~ /\r\n\r\n/) {
    my $n = sysread($conn, my $chunk, 4096);
    exit 0 unless $n;
    $head .= $chunk;
  }
  my ($method, $path) = $head =~ m{^(\S+) (\S+) HTTP/};
  my $ok = $ready && defined $method && $method eq 'GET' && $path eq '/health';
  my $status = $ok ? '200 OK' : '503 Service Unavailable';
  syswrite($conn, "HTTP/1.1 $status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  exit 0;
}

sub inbound {
  my ($client) = @_;
  my $header = '';
  while ($header !~ /\n$/) {
    my $n = sysread($client, my $c, 1);
    exit 0 unless $n;
    $header .= $c;
  }
  socket(my $local, AF_INET, SOCK_STREAM, 0) or exit 0;
  connect($local, pack_sockaddr_in(int($header), inet_aton('127.0.0.1'))) or exit 0;
  relay::relay($client, $local);
  exit 0;
}

my $fds = '';
vec($fds, $_, 1) = 1 for (keys %vllm, fileno($mesh));
while (1) {
  my $ready = $fds;
  next if select($ready, undef, undef, undef) <= 0;
  for my $fd (keys %vllm) {
    next unless vec($ready, $fd, 1);
    accept(my $conn, $vllm{$fd}{socket}) or next;
    my $seen = ++$vllm{$fd}{seen};
    if (fork() == 0) { answer($conn, $seen > 1); }
    close($conn);
  }
  if (vec($ready, fileno($mesh), 1)) {
    accept(my $conn, $mesh) or next;
    if (fork() == 0) { inbound($conn); }
    close($conn);
  }
}
