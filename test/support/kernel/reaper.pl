#!/usr/bin/perl
# Removes what one kernel-suite process left behind once that process is gone, however it ended:
# a failure, a timeout, kill -9. Its stdin is a pipe whose write end only that process holds (Node
# marks its descriptors close-on-exec, so no child inherits it): end of file means it has exited.
# Then every network namespace named PREFIX-*, every process still inside one, the hosts files
# `ip netns exec` reads, and the shared folder go.
# Usage: reaper.pl PREFIX DIR   (started detached, in a session of its own)
use strict;
use warnings;

my ($prefix, $dir) = @ARGV;
$SIG{$_} = 'IGNORE' for qw(HUP INT TERM PIPE);
1 while sysread(STDIN, my $buffer, 4096);

my @namespaces = grep { /^\Q$prefix\E-/ } map { (split ' ', $_)[0] // () } `ip netns list 2>/dev/null`;
for my $ns (@namespaces) {
  # A shell killed while forking leaves children behind: kill until none is left in the namespace.
  for (1 .. 50) {
    my @pids = grep { /^\d+$/ } map { s/\s+//gr } `ip netns pids $ns 2>/dev/null`;
    last unless @pids;
    kill 'KILL', @pids;
    select(undef, undef, undef, 0.02);
  }
  system('ip', 'netns', 'del', $ns);
  system('rm', '-rf', "/etc/netns/$ns");
}
system('rm', '-rf', $dir) if defined $dir && $dir =~ m{/cdk8s-h2ogpt-kernel-[^/]+$};
