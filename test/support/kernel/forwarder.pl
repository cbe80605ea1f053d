#!/usr/bin/perl
# Stand-in for a mesh proxy's outbound side (Envoy on 15001, linkerd2-proxy on 4140, ztunnel).
#
# Accepts connections that iptables REDIRECTed to it, reads each one's original destination with
# getsockopt(SOL_IP, SO_ORIGINAL_DST) as Envoy does, and carries it "over mTLS": to the
# destination host's inbound proxy port instead of the original port, sending the original port
# first. Perl, because it starts in a few milliseconds.
# Usage: forwarder.pl LISTEN_PORT MESH_PORT [MARK]
# (MARK: the fwmark ztunnel puts on its own packets, so the in-pod rules let them through).
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use relay;
use Socket qw(IPPROTO_IP SOL_SOCKET SOCK_STREAM AF_INET inet_ntoa pack_sockaddr_in);

use constant SO_ORIGINAL_DST => 80;
use constant SO_MARK => 36;

$SIG{CHLD} = 'IGNORE';
$| = 1;

my ($listen_port, $mesh_port, $mark) = @ARGV;
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
    connect($upstream, pack_sockaddr_in($mesh_port, $packed_ip)) or exit 0;
    syswrite($upstream, "$port\n");
    relay::relay($client, $upstream);
    exit 0;
  }
  close($client);
}
