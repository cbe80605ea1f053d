# Shared by the Perl stand-ins: listening sockets, and copying bytes both ways between two
# sockets until either side ends, then closing both (as a proxy ends a connection).
package relay;
use strict;
use warnings;
use Socket qw(SOL_SOCKET SO_REUSEADDR SOCK_STREAM AF_INET INADDR_ANY SHUT_RDWR pack_sockaddr_in);

# A TCP socket listening on 0.0.0.0:$port.
sub listener {
  my ($port) = @_;
  socket(my $server, AF_INET, SOCK_STREAM, 0) or die "socket: $!";
  setsockopt($server, SOL_SOCKET, SO_REUSEADDR, 1) or die "setsockopt: $!";
  bind($server, pack_sockaddr_in($port, INADDR_ANY)) or die "bind $port: $!";
  listen($server, 64) or die "listen: $!";
  return $server;
}

# Both directions at once, in this process, until one side ends.
sub relay {
  my ($a, $b) = @_;
  my %peer = (fileno($a) => $b, fileno($b) => $a);
  my %handle = (fileno($a) => $a, fileno($b) => $b);
  my $fds = '';
  vec($fds, $_, 1) = 1 for keys %handle;
  while (1) {
    my $ready = $fds;
    last if select($ready, undef, undef, undef) < 0;
    for my $fd (keys %handle) {
      next unless vec($ready, $fd, 1);
      my $n = sysread($handle{$fd}, my $data, 65536);
      if (!$n) { shutdown($_, SHUT_RDWR) for ($a, $b); return; }
      my $at = 0;
      while ($at < $n) {
        my $sent = syswrite($peer{$fd}, $data, $n - $at, $at);
        if (!defined $sent) { shutdown($_, SHUT_RDWR) for ($a, $b); return; }
        $at += $sent;
      }
    }
  }
}

1;
