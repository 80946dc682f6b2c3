# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Which policy is in force for this command: the edition and the organisation's file, from the CLI's
configuration (`az config set azurelinux.policy=...`, `azurelinux.policy_file=...`, or the environment
variables AZURE_AZURELINUX_POLICY and AZURE_AZURELINUX_POLICY_FILE, as the CLI maps every key) or from
--policy on the commands that take it. CLI glue: reads the configuration, turns problems into CLI errors."""
import os

POLICY_KEY = ("azurelinux", "policy")
FILE_KEY = ("azurelinux", "policy_file")


def _chosen_by(env_name, key):
    if os.environ.get(env_name):
        return f"the environment variable {env_name}"
    return f"az config ({'.'.join(key)})"


def activate(cli_ctx, edition=None):
    """Put the chosen edition and the organisation's file in force; a bad choice is one clear error."""
    from azure.cli.core.azclierror import InvalidArgumentValueError
    from azext_azurelinux import org_policy, policy
    config = cli_ctx.config
    if edition is not None:
        chosen_by, option = "--policy", "--policy"
    else:
        edition = config.get(*POLICY_KEY, fallback=None) or None
        chosen_by = _chosen_by("AZURE_AZURELINUX_POLICY", POLICY_KEY) if edition else "default"
        option = f"azurelinux.policy (set by {chosen_by})"
    path = config.get(*FILE_KEY, fallback=None) or None
    try:
        org = org_policy.load(path) if path else None
        policy.activate(edition, chosen_by, org)
    except org_policy.OrgPolicyError as error:
        raise InvalidArgumentValueError(f"Nothing was sent: {error}.") from None
    except policy.UnknownEdition as error:
        raise InvalidArgumentValueError(f"{option} {error}") from None
    if org is not None:
        org.chosen_by = _chosen_by("AZURE_AZURELINUX_POLICY_FILE", FILE_KEY)
