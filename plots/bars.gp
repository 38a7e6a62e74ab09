# Bar chart: one group per row, one bar per column after the first.
# The data file's first line names the columns (the first is the row label).
# Variables from the lesson: data png title term cols rows ylabel ncols (columns incl. the label)
if (term eq 'png') {
    set terminal pngcairo size 900,550 noenhanced font ',10'
    set output png
} else {
    set terminal dumb size cols,rows noenhanced
}
is_text = term ne 'png'
set title title
set ylabel ylabel
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
if (is_text) { set key outside below autotitle columnheader } else { set key top left autotitle columnheader }
set xtics rotate by -20 nomirror
plot for [i=2:ncols] data using i:xtic(1)
