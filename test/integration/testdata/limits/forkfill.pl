# forkfill.pl MARK LOOP: fork leaked sleeps named MARK as fast as possible
# until fork fails (a process limit is reached), then print "main" and exit
# 3. With LOOP 1 each leaked process is a loop that forks another sleep
# every 10 ms, so the limit stays full for as long as the leaks live.
# Perl, not a shell: dash ends the script at the first failed fork, and bash
# retries each failed fork for 15 s.
my ($mark, $loop) = @ARGV;
for (1 .. 1000) {
	my $p = fork;
	last unless defined $p;
	next if $p;
	if (!$loop) { exec { "/bin/sleep" } $mark, "1000"; exit 1 }
	$0 = $mark;
	while (1) {
		my $q = fork;
		if (defined $q && !$q) { exec { "/bin/sleep" } $mark, "1000"; exit 1 }
		select(undef, undef, undef, 0.01);
	}
}
print "main\n";
exit 3;
