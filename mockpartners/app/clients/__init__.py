"""What a user pastes into a client to reach a partner: command lines and client settings, built from the
endpoints' and accounts' information alone (the cheat-sheet and the admin API both use them)."""

from ._command_lines import curl_commands, ftps_commands, sftp_commands
from ._settings import ClientCommand, commands_of

__all__ = ["ClientCommand", "commands_of", "curl_commands", "ftps_commands", "sftp_commands"]
