#!/usr/bin/perl
# Stand-in for a mesh proxy's outbound side (Envoy on 15001, linkerd2-proxy on 4140, ztunnel).
#
# Accepts connections that iptables REDIRECTed to it, reads each one's original destination with
# getsockopt(SOL_IP, SO_ORIGINAL_DST) as Envoy does, and carries it "over mTLS" to the destination
# host on the port its mesh dials (the wire model of kernel-harness.ts, docs/mesh-facts.md §2a):
# the original port (Istio sidecars), or a port of the peer's proxy (Linkerd 4143, HBONE 15008).
# "mTLS" is a first line `MESH <original port>`, which the server side's inbound stand-in reads,
# as Linkerd's transport header and HBONE's CONNECT name the target port.
# Perl, because it starts in a few milliseconds.
# Usage: forwarder.pl LISTEN_PORT DIAL_PORT [MARK]
# (DIAL_PORT 0: the original port; MARK: the fwmark ztunnel puts on its own packets, so the in-pod
# rules let them through).
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use relay;
use Socket qw(IPPROTO_IP SOL_SOCKET SOCK_STREAM AF_INET pack_sockaddr_in);

use constant SO_ORIGINAL_DST => 80;
use constant SO_MARK => 36;

$SIG{CHLD} = 'IGNORE';
$| = 1;

my ($listen_port, $dial_port, $mark) = @ARGV;
$mark = defined $mark ? oct($mark) : 0; # oct() reads "0x539"
my $server = relay::listener($listen_port);
print "listening\n";

while (1) {
  accept(my $client, $server) or next;
  if (fork() == 0) {
    my $raw = getsockopt($client, IPPROTO_IP, SO_ORIGINAL_DST) or exit 0;
    my ($port, $packed_ip) = (unpack('n', substr($raw, 2, 2)), substr($raw, 4, 4));
    socket(my $upstream, AF_INET, SOCK_STREAM, 0) or exit 0;
    setsockopt($upstream, SOL_SOCKET, SO_MARK, $mark) or exit 0 if $mark;
    connect($upstream, pack_sockaddr_in($dial_port || $port, $packed_ip)) or exit 0;
    syswrite($upstream, "MESH $port\n");
    relay::relay($client, $upstream);
    exit 0;
  }
  close($client);
}
