/*
 * AI Agent: the plugin's settings page; slicer choice, testing the language model connection,
 * the write-only API key, and per-material temperature overrides.
 *
 * Plain script: adds AiAgent.addSettings (window.AiAgent, see aiagent_format.js). The settings
 * template binds these names on the tab's view model (one view model serves both), and OctoPrint
 * calls onSettingsShown / onSettingsBeforeSave on it. Needs from the view model: pluginSettings,
 * status and loadStatus.
 */
(function (AA) {
    "use strict";

    var API = AA.API;
    var errorText = AA.errorText;

    AA.addSettings = function (self) {
        self.slicerOptions = ko.pureComputed(function () {
            var found = (self.status() && self.status().slicers.found) || {};
            var label = function (name, title) {
                if (name === "auto" || name === "builtin") return title;
                return title + " (" + (found[name] ? _.sprintf(gettext("found: %(path)s"), {path: found[name]}) : gettext("not found")) + ")";
            };
            return [
                {value: "auto", text: label("auto", gettext("Automatic: the best one found"))},
                {value: "prusaslicer", text: label("prusaslicer", "PrusaSlicer")},
                {value: "curaengine", text: label("curaengine", "CuraEngine")},
                {value: "builtin", text: label("builtin", gettext("Built-in slicer (always available)"))}
            ];
        });

        self.apiKeyInput = ko.observable("");
        self.clearApiKey = ko.observable(false);
        self.connectionTesting = ko.observable(false);
        self.connectionResult = ko.observable(null);
        self.materialOverrides = ko.observableArray([]);
        self._overridesLoaded = false;

        self.testConnection = function () {
            var llm = self.pluginSettings.llm;
            var body = {backend: llm.backend(), base_url: llm.base_url(), model: llm.model()};
            if (self.apiKeyInput()) body.api_key = self.apiKeyInput();
            self.connectionTesting(true);
            self.connectionResult(null);
            OctoPrint.postJson(API + "llm/test", body)
                .done(function (result) {
                    self.connectionResult({
                        ok: !!result.ok,
                        reachable: !!result.reachable,
                        message: result.message || "",
                        models: result.models || []
                    });
                })
                .fail(function (xhr) {
                    self.connectionResult({ok: false, reachable: false, message: errorText(xhr), models: []});
                })
                .always(function () {
                    self.connectionTesting(false);
                });
        };
        self.useModel = function (name) {
            self.pluginSettings.llm.model(name);
        };

        self._loadMaterialOverrides = function () {
            var saved = ko.mapping.toJS(self.pluginSettings.materials) || {};
            var presets = (self.status() && self.status().materials) || {};
            var names = _.union(_.keys(presets), _.keys(saved));
            self.materialOverrides(
                names.map(function (name) {
                    var mine = saved[name] || {};
                    var preset = presets[name] || {};
                    var field = function (key) {
                        var v = mine[key];
                        return ko.observable(v === null || v === undefined ? "" : String(v));
                    };
                    return {
                        name: name,
                        nozzle_temp: field("nozzle_temp"),
                        bed_temp: field("bed_temp"),
                        nozzlePreset: preset.nozzle_temp === undefined ? "" : String(preset.nozzle_temp),
                        bedPreset: preset.bed_temp === undefined ? "" : String(preset.bed_temp)
                    };
                })
            );
            self._overridesLoaded = true;
        };

        self.onSettingsShown = function () {
            self.apiKeyInput("");
            self.clearApiKey(false);
            self.connectionResult(null);
            self.loadStatus().always(self._loadMaterialOverrides);
        };

        self.onSettingsBeforeSave = function () {
            var ps = self.pluginSettings;
            var llm = ps.llm;
            // number inputs give strings; the server expects numbers
            _.each([ps.infill_percent, ps.slicer_timeout, ps.max_prompt_chars, llm.timeout], function (field) {
                var n = Number(field());
                if (String(field()).trim() !== "" && isFinite(n)) field(n);
            });
            // The key is write-only: sent only when typed, and removed from the page once sent.
            if (self.clearApiKey()) {
                llm.clear_api_key = ko.observable(true);
            } else if (self.apiKeyInput()) {
                llm.api_key = ko.observable(self.apiKeyInput());
            }
            setTimeout(self._forgetApiKey, 0);
            if (!self._overridesLoaded) return;
            var overrides = {};
            _.each(self.materialOverrides(), function (row) {
                var number = function (text) {
                    text = String(text).trim();
                    return text === "" || isNaN(Number(text)) ? null : Number(text);
                };
                // null (not absent) clears an override: OctoPrint merges saved settings
                overrides[row.name] = {nozzle_temp: number(row.nozzle_temp()), bed_temp: number(row.bed_temp())};
            });
            self.pluginSettings.materials = ko.mapping.fromJS(overrides);
        };

        self._forgetApiKey = function () {
            delete self.pluginSettings.llm.api_key;
            delete self.pluginSettings.llm.clear_api_key;
            self.apiKeyInput("");
            self.clearApiKey(false);
        };    };
})((window.AiAgent = window.AiAgent || {}));
