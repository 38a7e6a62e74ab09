# Speedup against workers: measured points with min..max bars, the ideal
# line (speedup = workers) and, dashed, Amdahl's law fitted to each series
# whose serial fraction is known (fits: one number per series, -1 = none),
# drawn only over the workers that series measured (tops: its largest).
# Variables from mp_speedup_plot(): data png title term nseries titles fits tops xmax
if (term eq 'png') {
    set terminal pngcairo size 900,600 noenhanced font ',10'
    set output png
} else {
    set terminal dumb size 100,30 noenhanced
}
set title title
set xlabel 'workers'
set ylabel 'speedup (serial median / median)'
set key top left
set grid
set xrange [0.5:xmax + 0.5]
if (xmax <= 16) { set xtics 1 }   # whole workers only
set yrange [0:*]
amdahl(s, n) = 1.0 / (s + (1.0 - s) / n)
fit_of(i) = real(word(fits, i))
top_of(i) = real(word(tops, i))
set samples 200
plot x title 'ideal' with lines dashtype 3 lc rgb 'gray40', \
     for [i=1:nseries] data index (i-1) using 1:2:3:4 with yerrorlines title word(titles, i) lw 2, \
     for [i=1:nseries] (fit_of(i) >= 0 && x >= 1 && x <= top_of(i) ? amdahl(fit_of(i), x) : 1/0) \
         title (fit_of(i) >= 0 ? sprintf('%s Amdahl fit, serial %.1f%%', word(titles, i), 100 * fit_of(i)) : '') \
         with lines dashtype 2
