# Reference matcher for TestAgreesWithPerl: Perl's regexes, like nmap's
# PCRE, match bytes. Each input line is "id<TAB>flags<TAB>pattern<TAB>input",
# pattern and input in hex; each output line is "id<TAB>0" for no match,
# "id<TAB>1<TAB>g1...<TAB>g9" with each group in hex ("-" when unset), or
# "id<TAB>BAD" when Perl rejects the pattern.
use strict;
use warnings;
no warnings;
binmode STDIN;
binmode STDOUT;
my %cache;
while (my $l = <STDIN>) {
  chomp $l;
  my ($id, $f, $ph, $ih) = split /\t/, $l, -1;
  my $pat = pack("H*", $ph);
  my $in = pack("H*", $ih);
  # Perl wants a literal { escaped where PCRE does not.
  $pat =~ s/(?<!\\)\{(?!\d+(?:,\d*)?\})/\\{/g;
  my $re = $cache{"$f $ph"} //= do {
    my $r;
    if ($f eq "") { $r = eval { qr/$pat/ } }
    elsif ($f eq "i") { $r = eval { qr/$pat/i } }
    elsif ($f eq "s") { $r = eval { qr/$pat/s } }
    else { $r = eval { qr/$pat/is } }
    $r // "BAD";
  };
  if (!ref $re) { print "$id\tBAD\n"; next }
  my @out;
  my $ok = 0;
  if ($in =~ $re) {
    $ok = 1;
    for my $i (1..9) {
      if (defined $-[$i]) { push @out, unpack("H*", substr($in, $-[$i], $+[$i]-$-[$i])) }
      else { push @out, "-" }
    }
  }
  print join("\t", $id, $ok, @out), "\n";
}
