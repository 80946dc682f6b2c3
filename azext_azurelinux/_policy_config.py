# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Which policy a command runs under: the edition and the organisation's file, from the CLI's configuration
(`az config set azurelinux.policy=...`, `azurelinux.policy_file=...`, or the environment variables
AZURE_AZURELINUX_POLICY and AZURE_AZURELINUX_POLICY_FILE, as the CLI maps every key) or from --policy on the
commands that take it. CLI glue: reads the configuration, turns problems into CLI errors, and hands back one
`Policy` value per command invocation."""
import os

POLICY_KEY = ("azurelinux", "policy")
FILE_KEY = ("azurelinux", "policy_file")
_ON_COMMAND = "azurelinux_policy"  # the attribute of the invocation's own command object that keeps its Policy


def _chosen_by(env_name, key):
    if os.environ.get(env_name):
        return f"the environment variable {env_name}"
    return f"az config ({'.'.join(key)})"


def load(cli_ctx, edition=None):
    """A Policy from the configuration (and `edition`, from --policy, over it); a bad choice is one clear error."""
    from azure.cli.core.azclierror import InvalidArgumentValueError
    from azext_azurelinux import org_policy
    from azext_azurelinux.policy import Policy, UnknownEdition
    config = cli_ctx.config
    if edition is not None:
        chosen_by, option = "--policy", "--policy"
    else:
        edition = config.get(*POLICY_KEY, fallback=None) or None
        chosen_by = _chosen_by("AZURE_AZURELINUX_POLICY", POLICY_KEY) if edition else "default"
        option = f"azurelinux.policy (set by {chosen_by})"
    path = config.get(*FILE_KEY, fallback=None) or None
    try:
        org = org_policy.load(path, _chosen_by("AZURE_AZURELINUX_POLICY_FILE", FILE_KEY)) if path else None
        return Policy(edition, org, chosen_by)
    except org_policy.OrgPolicyError as error:
        raise InvalidArgumentValueError(f"Nothing was sent: {error}.") from None
    except UnknownEdition as error:
        raise InvalidArgumentValueError(f"{option} {error}") from None


def for_command(cmd, edition=None):
    """The invocation's Policy, built once: the CLI hands the validators and the command function the same
    per-invocation copy of the command, so both see one value, and no other invocation or thread sees it."""
    policy = getattr(cmd, _ON_COMMAND, None)
    if policy is None:
        policy = load(cmd.cli_ctx, edition)
        setattr(cmd, _ON_COMMAND, policy)
    return policy
