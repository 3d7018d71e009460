import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventsHtml, lineChart, perInterval, type HistoryDoc, type InstanceCounters } from './view.js';

const counters = (requests: number, hits: number): InstanceCounters => ({ requests, hits, bytes_served: 0, upstream_requests: 0, upstream_errors: 0, health: {} });

test('lineChart: one path per series, a break at a null value, a dot per value, the last value in the legend', () => {
  const svg = lineChart({ id: 'c', title: 'hit ratio', format: (v) => `${v} %`, yMax: 100, series: [{ name: 'a', points: [[0, 10], [1, 20], [2, null], [3, 40]] }] });
  const d = /<path class="series" data-series="a" d="([^"]*)"/.exec(svg)![1]!;
  assert.is(d.match(/M/g)!.length, 2, d);
  assert.is(d.match(/L/g)!.length, 1, d);
  assert.is(svg.match(/<circle class="point"/g)!.length, 3);
  assert.match(svg, /<b class="value" data-series="a">40 %<\/b>/);
  assert.match(lineChart({ id: 'e', title: 'x', format: String, series: [] }), /no data yet/);
});

test('lineChart escapes names', () => {
  const svg = lineChart({ id: 'c', title: '<t>', format: String, series: [{ name: '"><script>', points: [[0, 1]] }] });
  assert.not.match(svg, /<script>/);
  assert.match(svg, /&quot;&gt;&lt;script&gt;/);
});

test('perInterval: rates between samples; a live sample moments after the last one is left out', () => {
  const h: HistoryDoc = { interval_s: 10, window_s: 3600, samples: [
    { at: 0, instances: { a: counters(0, 0) } },
    { at: 10_000, instances: { a: counters(20, 5) } },
    { at: 10_500, instances: { a: counters(30, 5) }, live: true },
  ] };
  assert.equal(perInterval(h, 'a', (x, y, dt) => ((y.requests - x.requests) / dt) * 60), [[10_000, 120]]);
  assert.equal(perInterval(h, 'b', (x, y) => y.requests - x.requests), [[10_000, 0]]);
  h.samples[2]!.at = 15_000;
  assert.equal(perInterval(h, 'a', (x, y) => y.hits - x.hits), [[10_000, 5], [15_000, 0]]);
});

test('eventsHtml: the filter keeps matching rows and marks the selected options', () => {
  const ev = [
    { started_at: '2026-01-01T00:00:00Z', instance: '_engine', task_type: 'disk_sample', result: 'success' },
    { started_at: '2026-01-01T00:00:01Z', instance: 'files', reason_code: 'closed->open', result: 'circuit' },
  ];
  const html = eventsHtml(ev, { instance: 'files' });
  assert.equal([...html.matchAll(/<tr data-type="([^"]*)"/g)].map((x) => x[1]), ['closed-&gt;open']);
  assert.match(html, /<option selected>files<\/option>/);
  assert.match(html, /1 of 2/);
});

test.run();
