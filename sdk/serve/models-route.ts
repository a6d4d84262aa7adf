import type { FastifyInstance } from "fastify";
import { ApiError } from "./api-error";
import type { ServableModel } from "./servable-model";

/**
 * Checks that a request names the served model.
 * @param model - the served model
 * @param requested - the request's `model`
 * @throws {ApiError} 404 `model_not_found` otherwise
 * @example
 * ```ts
 * requireModel(model, "tiny-chat");
 * ```
 */
export function requireModel(model: ServableModel, requested: string): void {
  if (requested !== model.id) {
    throw new ApiError({
      status: 404,
      type: "invalid_request_error",
      param: "model",
      code: "model_not_found",
      message: `The model '${requested}' does not exist. This server serves '${model.id}'.`,
    });
  }
}

/**
 * Registers `GET /v1/models` and `GET /v1/models/:id`.
 * @param app - the fastify instance
 * @param model - the served model
 * @param created - Unix time the server started
 * @example
 * ```ts
 * registerModels(app, model, Math.floor(Date.now() / 1000));
 * ```
 */
export function registerModels(app: FastifyInstance, model: ServableModel, created: number): void {
  const card = {
    id: model.id,
    object: "model",
    created,
    owned_by: "tunebook",
    context_length: model.contextLength,
  };
  app.get("/v1/models", async () => ({ object: "list", data: [card] }));
  app.get<{ Params: { id: string } }>("/v1/models/:id", async (request) => {
    requireModel(model, request.params.id);
    return card;
  });
}
