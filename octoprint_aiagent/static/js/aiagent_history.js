/*
 * AI Agent: the History view of the tab, the list of jobs, its labels, and deleting a job.
 *
 * Plain script: adds AiAgent.addHistory (window.AiAgent, see aiagent_format.js). The tab's
 * template binds these names on the tab's view model, so they are added to it. Needs from the view
 * model: job, confirm, partWords, the prompt form's fields and _newest (the newest version of each
 * job seen).
 */
(function (AA) {
    "use strict";

    var API = AA.API;
    var FINAL_STATES = AA.FINAL_STATES;
    var bboxSize = AA.bboxSize;
    var fmtNumber = AA.fmtNumber;
    var errorText = AA.errorText;
    var notify = AA.notify;
    var HISTORY_PAGE = 20;

    AA.addHistory = function (self) {
        self.history = ko.observableArray([]);
        self.historyTotal = ko.observable(0);
        self.historyLoading = ko.observable(false);
        self.historyError = ko.observable("");

        self._findInHistory = function (id) {
            return _.find(self.history(), function (j) {
                return j.id === id;
            });
        };

        self.loadHistory = function (more) {
            if (self.historyLoading()) return;
            var offset = more ? self.history().length : 0;
            self.historyLoading(true);
            OctoPrint.get(API + "jobs?offset=" + offset + "&limit=" + HISTORY_PAGE)
                .done(function (page) {
                    self.historyError("");
                    self.historyTotal(page.total);
                    page.jobs = page.jobs.map(self._newest);
                    if (more) {
                        var known = _.pluck(self.history(), "id");
                        self.history.push.apply(self.history, _.filter(page.jobs, function (j) {
                            return known.indexOf(j.id) === -1;
                        }));
                    } else {
                        self.history(page.jobs);
                        if (!self.job() && page.jobs.length) self.job(page.jobs[0]);
                    }
                })
                .fail(function (xhr) {
                    self.historyError(errorText(xhr));
                })
                .always(function () {
                    self.historyLoading(false);
                });
        };
        self.hasMoreHistory = ko.pureComputed(function () {
            return self.history().length < self.historyTotal();
        });

        /** What was made, from the spec (the request's words may say other sizes: they can be
         * changed in the tab); the request itself until there is a spec. */
        self.jobTitle = function (job) {
            var spec = job.outputs && job.outputs.spec;
            if (!spec) return job.request.prompt || gettext("(no prompt)");
            // the definitions come with the first page load; until then the request's words
            return self.partWords() ? AA.partSummary(spec, self.partWords()) : job.request.prompt || spec.prompt || gettext("(no prompt)");
        };
        /** The sentence a job came from, when its title is not that sentence. */
        self.jobRequest = function (job) {
            var spec = job.outputs && job.outputs.spec;
            var words = job.request.prompt || (spec && spec.prompt);
            if (!spec || !words) return "";
            var edited = spec.backend === "user" && !job.request.prompt;
            return _.sprintf(edited ? gettext("from “%(words)s”, with values set in the tab") : gettext("from “%(words)s”"), {words: words});
        };
        // in mm, as the column's heading says; a line break may come after each ×
        self.jobSize = function (job) {
            var size = bboxSize(job.outputs && job.outputs.report);
            return size ? size.map(function (v) {
                return fmtNumber(v, 1);
            }).join(" × ") : "";
        };
        /** "14:05" today, "Dec 2, 14:05" before: the column stays narrow; the title has it all. */
        self.jobWhen = function (job) {
            var when = moment.unix(job.created);
            return when.isSame(moment(), "day") ? when.format("HH:mm") : when.format("MMM D, HH:mm");
        };
        self.jobWhenFull = function (job) {
            return formatDate(job.created);
        };

        /** A job opened from the list: the prompt form shows the request it came from, not the
         * one typed before. */
        self.openJob = function (job) {
            self.prompt(job.request.prompt || "");
            self.material(job.request.material || "");
            self.quality(job.request.quality);
            self.showJob(job);
        };
        self.jobIsActive = function (job) {
            return FINAL_STATES.indexOf(job.state) === -1;
        };

        self.deleteJob = function (job) {
            self.confirm({
                title: gettext("Delete this job?"),
                lines: [
                    {label: gettext("Job"), value: self.jobTitle(job)},
                    {label: gettext("Files"), value: _.values(job.files || {}).join(", ") || gettext("none")}
                ],
                question: gettext("The job and its files in OctoPrint's storage are deleted."),
                proceed: gettext("Delete"),
                proceedClass: "btn-danger",
                onProceed: function () {
                    OctoPrint.delete(API + "jobs/" + job.id + "?files=1")
                        .done(function () {
                            self.history.remove(function (j) {
                                return j.id === job.id;
                            });
                            self.historyTotal(Math.max(0, self.historyTotal() - 1));
                            if (self.job() && self.job().id === job.id) self.job(null);
                        })
                        .fail(function (xhr) {
                            notify("error", gettext("Could not delete the job"), errorText(xhr));
                        });
                }
            });
        };
    };
})((window.AiAgent = window.AiAgent || {}));
