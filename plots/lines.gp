# Lines: one series per data block (blocks separated by two blank lines),
# x in column 1, y in column 2, bars from column 3 to column 4 if present.
# Variables: data png title term cols rows nseries titles xlabel ylabel logy (0 or 1),
#   logx (0 or 1, optional)
#   xcat (0 or 1): x values are categories (0, 64, 256, 1024 MiB): evenly
#   spaced and labelled with their values, so 0 and 64 do not crowd together
#   and 0 still has a place (a log axis has none for it); xcats (optional):
#   the categories' values, so that the reference's points go to theirs
# mpkit-reference: drawn here (lib/plot.c looks for this line).
# The reference run (plot.h): refdata, refblocks (0: none), reflabel; its
# series are drawn as thin dotted lines with open circles in the colours of
# this run's, under one key entry.
if (!exists("xcat")) xcat = 0
if (term eq 'png') {
    set terminal pngcairo size 900,600 noenhanced font ',10'
    set output png
    # the reference's entry is long (it names the machine): beside the plot it
    # would take half the width, so with a reference the key goes below
    if (refblocks > 0) { set key outside below } else { set key outside right top }
} else {
    set terminal dumb size cols,rows noenhanced
    set key outside below
}
set title title
set xlabel xlabel
set ylabel ylabel
if (logy) { set logscale y }
if (exists("logx") && logx) { set logscale x }
set grid
nref = refblocks < nseries ? refblocks : nseries
reftitle = refblocks > 0 ? reflabel.' (dotted)' : ''
# xcat: a reference point goes to the place of its value, if this run has it
if (!exists("xcats")) xcats = ''
place_from(x, k) = k > words(xcats) ? NaN : \
    (abs(real(word(xcats, k)) - x) <= 1e-6 * abs(x) ? k - 1 : place_from(x, k + 1))
if (xcat) {
    # column 0 is the point's index within its block: the category's place
    set xrange [-0.3:*]
    set offsets 0, 0.3, 0, 0
    plot for [i=1:nseries] data index (i-1) using 0:2:3:4:xtic(1) with yerrorlines lw 2 title word(titles, i), \
         for [i=1:nref] refdata index (i-1) using (place_from($1, 1)):2 \
             with linespoints dashtype 3 lw 1 pt 6 ps 0.8 lc i notitle, \
         1/0 with linespoints dashtype 3 lw 1 pt 6 lc rgb 'gray40' title reftitle
} else {
    plot for [i=1:nseries] data index (i-1) using 1:2:3:4 with yerrorlines lw 2 title word(titles, i), \
         for [i=1:nref] refdata index (i-1) using 1:2 with linespoints dashtype 3 lw 1 pt 6 ps 0.8 lc i notitle, \
         1/0 with linespoints dashtype 3 lw 1 pt 6 lc rgb 'gray40' title reftitle
}
