/*
 * AI Agent: the assumptions of an LLM's part, shown before anything is sliced.
 *
 * A job whose part the LLM designed on sizes the request did not state stops in the state
 * "awaiting_assumptions" (setting "confirm assumptions"). This view model shows those sizes,
 * highlighted and editable, under the current job of the tab (the tab's view model, a dependency),
 * and sends them with POST jobs/<id>/confirm: the part is then designed again with the values
 * given, checked and sliced. Bound to its own element (#aiagent_assumptions, kept apart from the
 * tab's bindings in the template). Text only through `text:` bindings.
 */
$(function () {
    "use strict";

    var AA = window.AiAgent;
    var WAITING = "awaiting_assumptions";

    function AiAgentAssumptionsViewModel(parameters) {
        var self = this;
        self.tab = parameters[0];
        self.rows = ko.observableArray([]);
        self.sending = ko.observable(false);
        self._rowsFor = null;

        self.job = ko.pureComputed(function () {
            var job = self.tab.job();
            return job && job.state === WAITING ? job : null;
        });

        /** One editable row per assumption of the part (the material is chosen with the prompt). */
        self._sync = function () {
            var job = self.job();
            var spec = job && job.outputs && job.outputs.spec;
            var key = spec ? job.id + ":" + JSON.stringify(spec.assumptions) : null;
            if (key === self._rowsFor) return;
            self._rowsFor = key;
            self.rows(
                _.filter((spec && spec.assumptions) || [], function (a) {
                    return a.field !== "material";
                }).map(function (a) {
                    return {field: a.field, label: AA.humanName(a.field), reason: a.reason, original: String(a.value), value: ko.observable(String(a.value))};
                })
            );
        };

        self.confirm = function () {
            var job = self.job();
            if (!job) return;
            var values = {};
            var problems = [];
            _.each(self.rows(), function (row) {
                var text = String(row.value()).trim();
                if (text === row.original) return; // unchanged: confirmed as it is
                var number = Number(text);
                if (text === "" || !isFinite(number)) {
                    problems.push(_.sprintf(gettext("%(field)s must be a number"), {field: row.label}));
                }
                values[row.field] = number;
            });
            if (problems.length) {
                AA.notify("error", gettext("Please correct the fields"), problems.join("; ") + ".");
                return;
            }
            self.sending(true);
            OctoPrint.postJson(AA.API + "jobs/" + job.id + "/confirm", {values: values})
                .done(function (updated) {
                    self.tab.receiveJob(updated);
                })
                .fail(function (xhr) {
                    AA.notify("error", gettext("Could not confirm the assumptions"), AA.errorText(xhr));
                })
                .always(function () {
                    self.sending(false);
                });
        };

        self.onAllBound = function () {
            self.tab.job.subscribe(self._sync);
            self._sync();
        };
    }

    OCTOPRINT_VIEWMODELS.push({
        construct: AiAgentAssumptionsViewModel,
        dependencies: ["aiAgentViewModel"],
        elements: ["#aiagent_assumptions"]
    });
});
