/*
 * AI Agent: the Performance view of the tab, figures and Flot charts from the plugin's metrics.
 *
 * Plain script: adds AiAgent.PerformanceView (window.AiAgent, see aiagent_format.js). The tab's
 * view model owns one as `perf`; it polls only while the view is on screen and draws with the
 * Flot library that OctoPrint ships.
 */
(function (AA) {
    "use strict";

    var API = AA.API;
    var STAGES = AA.STAGES;
    var fmtNumber = AA.fmtNumber;
    var errorText = AA.errorText;

    var PERF_POLL_MS = 5000;
    var PERF_POINTS = 240; // 20 minutes of client-side series at one point per poll
    var SYSTEM_WINDOW_S = 3600;

    /** One chart in the Performance view: a Flot plot redrawn with new data, or a note when empty. */
    function plot(element, series, options, emptyText) {
        if (!element || !$(element).is(":visible") || !$(element).width()) return;
        var empty = _.every(series, function (s) {
            return !s.data.length;
        });
        if (empty) {
            $(element).empty().append($("<div class='aiagent-chart-empty muted'></div>").text(emptyText || gettext("No data yet.")));
            return;
        }
        $.plot(
            element,
            series,
            $.extend(
                true,
                {
                    grid: {borderWidth: 1, borderColor: "#ccc", hoverable: false},
                    legend: {position: "nw", backgroundOpacity: 0.6},
                    series: {shadowSize: 0, lines: {lineWidth: 1.5}, points: {radius: 1.5}}
                },
                options
            )
        );
    }

    function timeAxis() {
        return {mode: "time", timezone: "browser", minTickSize: [1, "minute"]};
    }

    function pushBounded(list, item) {
        list.push(item);
        if (list.length > PERF_POINTS) list.splice(0, list.length - PERF_POINTS);
    }
    function PerformanceView(vm) {
        var self = this;
        self.snapshot = ko.observable(null);
        self.error = ko.observable("");
        self.series = {latency: [], llm: [], cache: [], cpu: [], rss: []};
        self._timer = null;
        self._lastSystemAt = null;

        self.routes = ko.pureComputed(function () {
            var snap = self.snapshot();
            if (!snap) return [];
            var routes = snap.http.routes;
            return Object.keys(routes).map(function (route) {
                var entry = routes[route];
                return {
                    route: route.replace(/^\/plugin\/aiagent/, "") || "/",
                    count: entry.count,
                    errors4xx: entry.errors["4xx"],
                    errors5xx: entry.errors["5xx"],
                    p50: fmtMs(entry.latency_s.p50),
                    p95: fmtMs(entry.latency_s.p95),
                    p99: fmtMs(entry.latency_s.p99)
                };
            }).sort(function (a, b) {
                return b.count - a.count;
            });
        });

        self.figures = ko.pureComputed(function () {
            var snap = self.snapshot();
            if (!snap) return [];
            var latest = snap.system.latest || {};
            var cache = snap.cache;
            return [
                {label: gettext("Requests"), value: String(snap.http.count)},
                {label: gettext("Client errors (4xx)"), value: String(snap.http.errors["4xx"])},
                {label: gettext("Server errors (5xx)"), value: String(snap.http.errors["5xx"])},
                {label: gettext("Request p95"), value: fmtMs(snap.http.latency_s.p95)},
                {label: gettext("CPU"), value: latest.cpu_percent === undefined ? "-" : fmtNumber(latest.cpu_percent, 1) + " %"},
                {label: gettext("Memory"), value: latest.rss_mb === undefined ? "-" : fmtNumber(latest.rss_mb, 0) + " MB"},
                {label: gettext("LLM calls (failed)"), value: snap.llm.calls + " (" + snap.llm.failures + ")"},
                {label: gettext("LLM connections new / reused"), value: snap.llm.connections["new"] + " / " + snap.llm.connections.reused},
                {
                    label: gettext("Spec cache hit rate"),
                    value: cache.hit_rate === null ? "-" : fmtNumber(cache.hit_rate * 100, 0) + " % of " + (cache.hits + cache.misses)
                },
                {label: gettext("Deduplicated LLM requests"), value: String(cache.deduplicated)},
                {label: gettext("Up since"), value: formatDate(snap.started_at)}
            ];
        });

        function fmtMs(seconds) {
            if (seconds === null || seconds === undefined) return "-";
            return fmtNumber(seconds * 1000, seconds < 0.01 ? 2 : 1) + " ms";
        }

        self.shouldPoll = function () {
            return vm.tabActive() && vm.view() === "performance" && !document.hidden;
        };

        /** Start or stop polling to match what is visible: nothing is fetched for a hidden view. */
        self.update = function () {
            if (self.shouldPoll()) {
                if (self._timer === null) {
                    self.fetch();
                    self._timer = setInterval(self.fetch, PERF_POLL_MS);
                }
            } else if (self._timer !== null) {
                clearInterval(self._timer);
                self._timer = null;
            }
        };

        self.fetch = function () {
            var query = self._lastSystemAt ? "?since=" + encodeURIComponent(self._lastSystemAt) : "";
            OctoPrint.get(API + "performance/metrics" + query)
                .done(function (snap) {
                    self.error("");
                    self._record(snap);
                    self.snapshot(snap);
                    self.draw();
                })
                .fail(function (xhr) {
                    self.error(errorText(xhr));
                });
        };

        self._record = function (snap) {
            var at = snap.at * 1000;
            var s = self.series;
            pushBounded(s.latency, [at, snap.http.latency_s.p50, snap.http.latency_s.p95]);
            pushBounded(s.llm, [at, snap.llm.latency_s.p50, snap.llm.latency_s.p95]);
            pushBounded(s.cache, [at, snap.cache.hit_rate]);
            var sys = snap.system;
            for (var i = 0; i < sys.at.length; i++) {
                if (self._lastSystemAt !== null && sys.at[i] <= self._lastSystemAt) continue;
                s.cpu.push([sys.at[i] * 1000, sys.cpu_percent[i]]);
                s.rss.push([sys.at[i] * 1000, sys.rss_mb[i]]);
            }
            if (sys.at.length) self._lastSystemAt = sys.at[sys.at.length - 1];
            var oldest = (snap.at - SYSTEM_WINDOW_S) * 1000;
            while (s.cpu.length && s.cpu[0][0] < oldest) s.cpu.shift();
            while (s.rss.length && s.rss[0][0] < oldest) s.rss.shift();
        };

        function column(points, index, scale) {
            return points
                .filter(function (p) {
                    return p[index] !== null && p[index] !== undefined;
                })
                .map(function (p) {
                    return [p[0], p[index] * (scale || 1)];
                });
        }

        self.draw = function () {
            var snap = self.snapshot();
            if (!snap || !self.shouldPoll()) return;
            var s = self.series;
            var ms = {tickFormatter: function (v) {
                return fmtNumber(v, 1) + " ms";
            }, min: 0};
            var withPoints = {lines: {show: true}, points: {show: true}};
            plot($("#aiagent_perf_latency"), [
                $.extend({label: "p50", data: column(s.latency, 1, 1000)}, withPoints),
                $.extend({label: "p95", data: column(s.latency, 2, 1000)}, withPoints)
            ], {xaxis: timeAxis(), yaxis: ms}, gettext("No requests measured yet."));
            plot($("#aiagent_perf_cpu"), [{label: gettext("CPU %"), data: s.cpu, color: "#d9534f"}], {
                xaxis: timeAxis(),
                yaxis: {min: 0}
            }, gettext("No samples yet."));
            plot($("#aiagent_perf_memory"), [{label: gettext("Resident MB"), data: s.rss, color: "#5bc0de"}], {
                xaxis: timeAxis()
            }, gettext("No samples yet."));
            plot($("#aiagent_perf_cache"), [
                $.extend({label: gettext("hit rate %"), data: column(s.cache, 1, 100), color: "#5cb85c"}, withPoints)
            ], {xaxis: timeAxis(), yaxis: {min: 0, max: 100}}, gettext("No cache lookups yet: the offline parser needs no cache."));
            plot($("#aiagent_perf_llm"), [
                $.extend({label: "p50", data: column(s.llm, 1, 1000)}, withPoints),
                $.extend({label: "p95", data: column(s.llm, 2, 1000)}, withPoints)
            ], {xaxis: timeAxis(), yaxis: ms}, gettext("No language model calls yet."));
            var stages = _.keys(snap.stages).sort(function (a, b) {
                return STAGES.indexOf(a) - STAGES.indexOf(b);
            });
            // horizontal bars, one row per stage, so the stage names have room
            var bars = function (key, offset) {
                return stages.map(function (stage, i) {
                    return [snap.stages[stage][key] || 0, stages.length - 1 - i + offset];
                });
            };
            var barStyle = {show: true, horizontal: true, barWidth: 0.4, align: "center", fill: 0.7};
            plot($("#aiagent_perf_stages"), [
                {label: "p50", data: bars("p50", 0.2), bars: barStyle},
                {label: "p95", data: bars("p95", -0.2), bars: barStyle}
            ], {
                legend: {position: "ne"},
                yaxis: {
                    ticks: stages.map(function (stage, i) {
                        return [stages.length - 1 - i, stage];
                    }),
                    min: -0.6,
                    max: Math.max(stages.length, 1) - 0.4
                },
                xaxis: {min: 0, tickFormatter: function (v) {
                    return fmtNumber(v, 2) + " s";
                }}
            }, gettext("No job has run yet."));
        };
    }
    AA.PerformanceView = PerformanceView;
})((window.AiAgent = window.AiAgent || {}));
