# Lines: one series per data block (blocks separated by two blank lines),
# x in column 1, y in column 2, bars from column 3 to column 4 if present.
# Variables: data png title term nseries titles xlabel ylabel logy (0 or 1)
if (term eq 'png') {
    set terminal pngcairo size 900,600 noenhanced font ',10'
    set output png
} else {
    set terminal dumb size 100,30 noenhanced
}
set title title
set xlabel xlabel
set ylabel ylabel
if (logy) { set logscale y }
set key top left
set grid
plot for [i=1:nseries] data index (i-1) using 1:2:3:4 with yerrorlines lw 2 title word(titles, i)
