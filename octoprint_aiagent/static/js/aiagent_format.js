/*
 * AI Agent: names and formatting shared by the tab, its views and the settings page.
 *
 * Plain script (OctoPrint bundles plugin assets as classic scripts, in the order plugin.py lists
 * them): adds to window.AiAgent, which the other aiagent_*.js files and aiagent.js read. Pure
 * functions of their arguments, apart from notify(), the one way this plugin raises a PNotify.
 */
(function (AA) {
    "use strict";

    AA.PLUGIN = "aiagent";
    AA.API = "plugin/" + AA.PLUGIN + "/";
    AA.STAGES = ["understanding", "designing", "checking", "slicing", "printing"];
    AA.FINAL_STATES = ["ready", "done", "failed", "cancelled"];

    function fmtNumber(value, digits) {
        if (value === null || value === undefined || isNaN(value)) return "-";
        return String(Number(Number(value).toFixed(digits === undefined ? 1 : digits)));
    }

    function fmtSeconds(seconds) {
        if (seconds === null || seconds === undefined || isNaN(seconds)) return "";
        if (seconds < 0.01) return "< 0.01 s";
        if (seconds < 10) return fmtNumber(seconds, 2) + " s";
        if (seconds < 60) return fmtNumber(seconds, 1) + " s";
        var s = Math.round(seconds);
        if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
        return Math.floor(s / 3600) + " h " + Math.round((s % 3600) / 60) + " min";
    }

    /** Extents of the part in mm: the report's bbox is [x, y, z] extents, or [min, max] corners. */
    function bboxSize(report) {
        var bbox = report && report.bbox;
        if (!bbox) return null;
        if (bbox.length === 3 && typeof bbox[0] === "number") return bbox;
        if (bbox.length !== 2) return null;
        return [0, 1, 2].map(function (i) {
            return bbox[1][i] - bbox[0][i];
        });
    }

    function fmtSize(size) {
        if (!size) return "";
        return size.map(function (v) {
            return fmtNumber(v, 1);
        }).join(" × ") + " mm";
    }

    function humanName(name) {
        return String(name || "").replace(/_/g, " ");
    }

    /** "the printer is busy" -> "The printer is busy."; one that starts with a document path
     * ("part.features[0]: ...") keeps the path as written. */
    function sentence(text) {
        text = String(text || "").trim();
        if (!text) return "";
        if (!/^\w+[.[]\w/.test(text)) text = text.charAt(0).toUpperCase() + text.slice(1);
        return /[.!?]$/.test(text) ? text : text + ".";
    }

    /** A readable sentence from a failed request: the server's JSON error, its hint, or the status. */
    function errorText(xhr) {
        var body = xhr && xhr.responseJSON;
        if (body && body.error) {
            return body.hint ? sentence(body.error) + " " + sentence(body.hint) : sentence(body.error);
        }
        if (!xhr || xhr.status === 0) return gettext("OctoPrint could not be reached. Is it still running?");
        return _.sprintf(gettext("The server answered %(status)s %(text)s."), {
            status: xhr.status,
            text: xhr.statusText || ""
        });
    }

    /** Every notification closes by itself, errors after longer: one that stays piles up with the
     * next ones over the tab. What the user must act on is said in the tab as well. */
    function notify(type, title, text) {
        new PNotify({
            title: title,
            text: text,
            type: type,
            title_escape: true,
            text_escape: true,
            hide: true,
            delay: type === "error" ? 15000 : 5000
        });
    }
    AA.fmtNumber = fmtNumber;
    AA.fmtSeconds = fmtSeconds;
    AA.bboxSize = bboxSize;
    AA.fmtSize = fmtSize;
    AA.humanName = humanName;
    AA.sentence = sentence;
    AA.errorText = errorText;
    AA.notify = notify;
})((window.AiAgent = window.AiAgent || {}));
