"""OctoPrint AI Agent: describe a part in a sentence; get a checked, sliced, printable model.

This module only names the plugin. OctoPrint calls ``__plugin_load__``, which imports the host
(``plugin.py``); the core packages (agent, cad, slicing, llm, perf) and the command line never
import OctoPrint.
"""

__plugin_name__ = "AI Agent"
__plugin_version__ = "0.1.0"
__plugin_description__ = "Describe a part in a sentence; get a checked, sliced, printable model."
__plugin_pythoncompat__ = ">=3.9,<4"


def __plugin_load__():
    global __plugin_implementation__, __plugin_hooks__
    from . import plugin

    __plugin_implementation__ = plugin.AIAgentPlugin()
    __plugin_hooks__ = {
        "octoprint.access.permissions": plugin.get_additional_permissions,
        "octoprint.events.register_custom_events": plugin.register_custom_events,
        "octoprint.filemanager.extension_tree": plugin.get_extension_tree,
        "octoprint.server.sockjs.emit": plugin.filter_socket_messages,
        "octoprint.plugin.softwareupdate.check_config": __plugin_implementation__.get_update_information,
    }
