// charts.mjs: the page's charts, all drawn by uPlot (served from node_modules; no CDN). This file
// only configures it: axes, colours, sizes, and a hover label for the embedding map.
import uPlot from '/node_modules/uplot/dist/uPlot.esm.js';

const INK = '#1c2330';
const MUTED = '#5b6577';
const GRID = '#e6e9ef';
const FONT = '15px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';

/** A little room around the data so the outermost points are not cut in half. */
const padded = (u, min, max) => {
    const p = (max - min) * 0.04 || 1;
    return [min - p, max + p];
};
/** Epochs and event counts are whole numbers. */
const EPOCH_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500];

const axis = (extra = {}) => ({
    stroke: MUTED, font: FONT, labelFont: FONT, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 }, ...extra,
});

/** Keeps a chart as wide as its box (the box has a fixed height in CSS, so nothing jumps). */
function fitToBox(chart, box) {
    const ro = new ResizeObserver(() => {
        const w = Math.floor(box.clientWidth);
        const h = Math.floor(box.clientHeight);
        if (w > 0 && h > 0 && (w !== chart.width || h !== chart.height)) chart.setSize({ width: w, height: h });
    });
    ro.observe(box);
    return ro;
}

function size(box) {
    return { width: Math.max(200, Math.floor(box.clientWidth)), height: Math.max(120, Math.floor(box.clientHeight)) };
}

/**
 * Loss (left axis) and validation NDCG@10 (right axis) per epoch. Returns { update(curve), destroy() }
 * where curve is [{ epoch, loss, validNdcg }].
 */
export function curveChart(box, { colour }) {
    const chart = new uPlot({
        ...size(box),
        legend: { show: false }, // the captions say: solid loss, dashed validation NDCG@10
        cursor: { drag: { x: false, y: false }, points: { size: 9 } },
        scales: { x: { time: false }, loss: { auto: true }, ndcg: { auto: true } },
        axes: [
            axis({ label: 'epoch', labelSize: 22, size: 36, incrs: EPOCH_INCRS, values: (u, v) => v.map((x) => String(x)) }),
            axis({ scale: 'loss', label: 'loss', labelSize: 22, size: 56, values: (u, v) => v.map((x) => x.toFixed(2)) }),
            axis({ scale: 'ndcg', side: 1, label: 'valid NDCG@10', labelSize: 22, size: 60, grid: { show: false },
                values: (u, v) => v.map((x) => x.toFixed(3)) }),
        ],
        series: [
            { label: 'epoch' },
            { label: 'loss', scale: 'loss', stroke: colour, width: 2.5, points: { size: 6 } },
            { label: 'valid NDCG@10', scale: 'ndcg', stroke: colour, dash: [6, 5], width: 2, points: { size: 6 } },
        ],
    }, [[], [], []], box);
    const ro = fitToBox(chart, box);
    return {
        update(curve) {
            chart.setData([curve.map((p) => p.epoch), curve.map((p) => p.loss), curve.map((p) => p.validNdcg)]);
        },
        destroy() { ro.disconnect(); chart.destroy(); },
    };
}

/**
 * Every neural model's curve on one chart: x = epoch (1 to xMax, so a curve grows across as its
 * model trains), one line per series in its model's colour; the page draws the legend.
 * update([{ key, label, colour, points: [[epoch, value]] }], { xMax, yLabel, fmt }) rebuilds the
 * chart when the series or the axis change, else only its data.
 */
export function compareChart(box) {
    let chart = null;
    let ro = null;
    let shape = '';
    const build = (series, { xMax, yLabel, fmt }) => {
        ro?.disconnect();
        chart?.destroy();
        chart = new uPlot({
            ...size(box),
            legend: { show: false },
            cursor: { drag: { x: false, y: false }, points: { size: 9 } },
            scales: { x: { time: false, range: [1, xMax] }, y: { auto: true } },
            axes: [
                axis({ label: 'epoch', labelSize: 22, size: 36, incrs: EPOCH_INCRS, values: (u, v) => v.map((x) => String(x)) }),
                axis({ label: yLabel, labelSize: 22, size: 62, values: (u, v) => v.map((x) => fmt(x)) }),
            ],
            series: [{ label: 'epoch' }, ...series.map((s) => ({
                label: s.label, stroke: s.colour, width: 3, spanGaps: false, points: { size: 7, fill: s.colour },
            }))],
        }, [[], ...series.map(() => [])], box);
        ro = fitToBox(chart, box);
    };
    return {
        update(series, opts) {
            const next = JSON.stringify([series.map((s) => s.key), opts.xMax, opts.yLabel]);
            if (next !== shape) { build(series, opts); shape = next; }
            const top = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
            const xs = Array.from({ length: top }, (_, i) => i + 1);
            chart.setData([xs, ...series.map((s) => {
                const ys = new Array(top).fill(null);
                for (const [e, v] of s.points) ys[e - 1] = v;
                return ys;
            })]);
        },
        destroy() { ro?.disconnect(); chart?.destroy(); chart = null; },
    };
}

/** Bars: how many sessions have each length (lengths longer than `cap` share the last bar). */
export function histogramChart(box, lengths, { cap = 40 } = {}) {
    let max = 0;
    for (const n of lengths) if (n > max) max = n;
    const top = Math.min(max, cap);
    const xs = Array.from({ length: top }, (_, i) => i + 1);
    const ys = new Array(top).fill(0);
    for (const n of lengths) if (n >= 1) ys[Math.min(n, top) - 1]++;
    const chart = new uPlot({
        ...size(box),
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [0.3, top + 0.7] } },
        axes: [
            axis({ label: max > cap ? `events (last bar: ${cap} or more)` : 'events', labelSize: 22, size: 34,
                incrs: EPOCH_INCRS, values: (u, v) => v.map((x) => String(x)) }),
            axis({ size: 56, values: (u, v) => v.map((x) => x.toLocaleString('en')) }),
        ],
        series: [{}, {
            label: 'sessions', fill: '#9fb6ea', stroke: '#2f5fd0', width: 1,
            paths: uPlot.paths.bars({ size: [0.8, 40] }), points: { show: false },
        }],
    }, [xs, ys], box);
    const ro = fitToBox(chart, box);
    return { destroy() { ro.disconnect(); chart.destroy(); } };
}

/**
 * Scatter of item embeddings on two axes, one colour per category, a label with the item's name
 * on hover. points: [{ x, y, title, category }], categories: [name], colours: [css colour];
 * sizes: { [category index]: point size in px } (default 9), to make one stand out.
 */
export function mapChart(box, points, categories, colours, tooltip, { sizes = {} } = {}) {
    const byCat = categories.map(() => [[], [], []]); // xs, ys, titles
    const catIndex = new Map(categories.map((c, i) => [c, i]));
    for (const p of points) {
        const g = byCat[catIndex.get(p.category) ?? 0];
        g[0].push(p.x); g[1].push(p.y); g[2].push(p.title);
    }
    const showTip = (u) => {
        const { left, top } = u.cursor;
        if (left == null || left < 0) { tooltip.hidden = true; return; }
        let best = null;
        let bestD = 14 * 14; // within 14 css px
        byCat.forEach(([xs, ys, titles], c) => {
            for (let i = 0; i < xs.length; i++) {
                const dx = u.valToPos(xs[i], 'x') - left;
                const dy = u.valToPos(ys[i], 'y') - top;
                const d = dx * dx + dy * dy;
                if (d < bestD) { bestD = d; best = { c, i, title: titles[i], px: u.valToPos(xs[i], 'x'), py: u.valToPos(ys[i], 'y') }; }
            }
        });
        if (!best) { tooltip.hidden = true; return; }
        const r = u.over.getBoundingClientRect();
        tooltip.textContent = `${best.title} · ${categories[best.c] || 'uncategorised'}`;
        tooltip.style.left = `${r.left + window.scrollX + best.px + 12}px`;
        tooltip.style.top = `${r.top + window.scrollY + best.py - 12}px`;
        tooltip.hidden = false;
    };
    const chart = new uPlot({
        mode: 2,
        ...size(box),
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { show: false }, dataIdx: () => null },
        scales: { x: { time: false, auto: true, range: padded }, y: { auto: true, range: padded } },
        axes: [axis({ label: 'PC 1', labelSize: 22, size: 34 }), axis({ label: 'PC 2', labelSize: 22, size: 56 })],
        hooks: { setCursor: [showTip] },
        series: [{}, ...categories.map((c, i) => ({
            label: c || 'uncategorised', stroke: colours[i], fill: colours[i],
            paths: uPlot.paths.points(), points: { show: false, size: sizes[i] ?? 9, width: 0 },
            facets: [{ scale: 'x', auto: true }, { scale: 'y', auto: true }],
        }))],
    }, [null, ...byCat.map(([xs, ys]) => [xs, ys])], box);
    chart.over.addEventListener('mouseleave', () => { tooltip.hidden = true; });
    const ro = fitToBox(chart, box);
    return { destroy() { ro.disconnect(); chart.destroy(); tooltip.hidden = true; } };
}

/**
 * The p-value as users arrive: x = users so far, y = p on a linear 0-1 axis, and a dashed line
 * at alpha (0.05), so a curve that dips under it and comes back shows why peeking misleads.
 * points: [[users, p]] (a null p leaves a gap).
 */
export function pValueChart(box, points, { alpha = 0.05, colour = '#2f5fd0' } = {}) {
    const xs = points.map((p) => p[0]);
    const chart = new uPlot({
        ...size(box),
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { size: 8 } },
        scales: { x: { time: false, auto: true }, y: { range: [0, 1] } },
        axes: [
            axis({ label: 'users so far', labelSize: 22, size: 36, values: (u, v) => v.map((x) => x.toLocaleString('en')) }),
            axis({ label: 'p-value', labelSize: 22, size: 52, values: (u, v) => v.map((x) => x.toFixed(2)) }),
        ],
        series: [
            { label: 'users' },
            { label: 'p', stroke: colour, width: 2.5, spanGaps: false, points: { size: 5, fill: colour } },
            { label: `p = ${alpha}`, stroke: '#c0392b', dash: [6, 5], width: 1.5, points: { show: false } },
        ],
    }, [xs, points.map((p) => p[1]), xs.map(() => alpha)], box);
    const ro = fitToBox(chart, box);
    return { points: xs.length, destroy() { ro.disconnect(); chart.destroy(); } };
}
