#!/usr/bin/perl
# The peer a user would write instead of scrubd: the default rules of
# conf/scrubd.conf as a line-by-line perl filter, for `make bench`.
use strict;
use warnings;
use utf8;

binmode STDIN;
binmode STDOUT;
my $W = qr/(?:[\s\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}])/;
my $B = qr/哒哒(?:素材库|代笔|君|唯一平台)?/;
my $ad = qr/^$W*(?:[【\[]$W*哒哒|欢迎加入$W*["'“”‘’「」『』《]?$W*哒哒)/;
my $wm = qr/^$W*(?:（|\(|——|-)?$W*(?:本文由|来源[：:]|$B$W*[：:])?$W*$B$W*(?:收集整理|整理)?$W*(?:）|\)|——|-)?$W*$/;
my ($seen, $held) = (0, undef);
while (my $raw = <STDIN>) {
	my $eol = $raw =~ s/(\r?\n)\z// ? $1 : '';
	my $line = $raw;
	utf8::decode($line);
	my $n = ($line =~ s/##paid(?:begin|end)##//g);
	next if $n && $line =~ /^$W*$/;
	next if $line =~ $ad || $line =~ $wm;
	$n = ($line =~ s/哒哒君//g);
	next if $n && $line =~ /^$W*$/;
	if ($line =~ /^$W*$/) {
		next if !$seen || defined $held;
		utf8::encode($line);
		$held = $line . $eol;
		next;
	}
	print $held if defined $held;
	$held = undef;
	$seen = 1;
	utf8::encode($line);
	print $line, $eol;
}
