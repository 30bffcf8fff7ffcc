import * as contract from '../../contracts/containers.js';
import { assertNetworkModeAllowed } from '../containers/network-policy.js';
import { TEMPLATE_NAMES, TEMPLATES } from '../containers/templates.js';
import { implement } from './op.js';
import { toContainerDto } from './schemas.js';

export const containerCreate = implement(contract.containerCreate, {
  run: async (input, { principal, services }) => {
    assertNetworkModeAllowed(input.network, principal, services.config.allowHostNetwork);
    const { egress, ...rest } = input;
    return toContainerDto(
      await services.containers.create(principal.userId, {
        ...rest,
        ...(egress ? { egress: { allow: egress.allow ?? [], deny: egress.deny ?? [] } } : {}),
      }),
    );
  },
});

export const containerList = implement(contract.containerList, {
  run: async (_input, { principal, services }) => ({
    containers: services.containers.list(principal.userId).map(toContainerDto),
  }),
});

export const containerGet = implement(contract.containerGet, {
  run: async ({ id }, { principal, services }) => toContainerDto(await services.containers.get(principal.userId, id)),
});

export const containerDelete = implement(contract.containerDelete, {
  run: async ({ id }, { principal, services }) =>
    toContainerDto(await services.containers.delete(principal.userId, id)),
});

export const containerUpdate = implement(contract.containerUpdate, {
  run: async ({ id, egress, ...flags }, { principal, services }) => {
    assertNetworkModeAllowed(flags.network, principal, services.config.allowHostNetwork);
    const c = egress ? await services.containers.get(principal.userId, id) : undefined;
    const rules =
      c && egress ? { allow: egress.allow ?? c.egress.allow, deny: egress.deny ?? c.egress.deny } : undefined;
    return toContainerDto(
      await services.containers.update(principal.userId, id, { ...flags, ...(rules ? { egress: rules } : {}) }),
    );
  },
});

export const containerStop = implement(contract.containerStop, {
  run: async ({ id }, { principal, services }) => {
    const c = await services.containers.get(principal.userId, id);
    return toContainerDto(services.containers.stop(c, 'asked'));
  },
});

export const containerTemplates = implement(contract.containerTemplates, {
  run: async () => ({ templates: TEMPLATE_NAMES.map((name) => ({ name, description: TEMPLATES[name].description })) }),
});
