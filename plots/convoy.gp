# Convoy effect: request latency (median and 99th percentile, log scale) for
# each setup. Data columns: label median_us p99_us
if (term eq 'png') {
    set terminal pngcairo size 1000,550 noenhanced font ',10'
    set output png
} else {
    set terminal dumb size cols,rows noenhanced
}
is_text = term ne 'png'
set title title
set ylabel 'latency of one request (us, log scale)'
set logscale y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.7 border -1
if (is_text) { set key outside below autotitle columnheader } else { set key top left autotitle columnheader }
set xtics rotate by -25 nomirror
set grid ytics
plot for [i=2:3] data using i:xtic(1)
