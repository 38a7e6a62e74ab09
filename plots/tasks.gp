# Task schedule (Gantt chart) of a pool: one lane per worker, one bar per
# task from its start to its end, coloured and numbered by task, so that two
# tasks back to back on one worker stay two bars.
# Data (lessons/05-pool writes it from mp_task_info): "lane start_ms end_ms task"
# Variables: data png title term cols rows lanes nlanes (lanes: gnuplot ytics
# naming each lane); labels=1 writes each task's number on its bar.
if (!exists('labels')) labels = 1
if (term eq 'png') {
    set terminal pngcairo size 1000,(170 + 45 * (nlanes <= 40 ? nlanes : 40)) noenhanced font ',10'
    set output png
} else {
    set terminal dumb size cols,(nlanes * 3 + 8 < rows ? nlanes * 3 + 8 : rows) noenhanced
}
set title title
set xlabel 'time since the first task started (ms)'
set yrange [-0.7:nlanes - 0.3]
set ytics nomirror
if (strlen(lanes) > 0) { eval 'set ytics '.lanes }
set grid xtics
unset key
set style fill solid 0.7 border lc rgb 'black'
if (labels && term eq 'png') {
    plot data using (($2 + $3) / 2):1:(($3 - $2) / 2):(0.35):($4 + 1) with boxxyerror lc variable, \
         data using (($2 + $3) / 2):1:(sprintf('%d', $4)) with labels font ',9'
} else {
    plot data using (($2 + $3) / 2):1:(($3 - $2) / 2):(0.35):($4 + 1) with boxxyerror lc variable
}
