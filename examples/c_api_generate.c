/* Greedy generation through the C API: c_api_generate MODEL.eft "prompt" [tokens] */
#include <stdio.h>
#include <stdlib.h>

#include "edgeformer/edgeformer.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.eft PROMPT [TOKENS]\n", argv[0]);
    return 2;
  }
  const int steps = argc > 3 ? atoi(argv[3]) : 64;
  ef_model* model = NULL;
  ef_session* session = NULL;
  ef_sampler* sampler = NULL;
  int32_t ids[512];
  size_t count = 0;
  if (ef_model_open_file(argv[1], &model) != EF_OK ||
      ef_tokenize(model, argv[2], 1, ids, sizeof ids / sizeof ids[0], &count) != EF_OK ||
      ef_session_create(model, NULL, &session) != EF_OK ||
      ef_sampler_create(ef_model_vocab_size(model), 0.0f, 0, 1.0f, 0, &sampler) != EF_OK ||
      ef_session_prefill(session, ids, count) != EF_OK) {
    fprintf(stderr, "error: %s\n", ef_last_error());
    return 1;
  }
  int32_t previous = ids[count - 1];
  for (int i = 0; i < steps; ++i) {
    const int32_t next = ef_sampler_sample(sampler, ef_session_logits(session));
    if (ef_model_is_stop_id(model, next) || next == ef_model_bos_id(model)) break;
    char piece[256];
    size_t length = 0;
    if (ef_detokenize(model, previous, next, piece, sizeof piece, &length) == EF_OK) fputs(piece, stdout);
    if (ef_session_decode(session, next) != EF_OK) {
      fprintf(stderr, "\nerror: %s\n", ef_last_error());
      break;
    }
    previous = next;
  }
  putchar('\n');
  ef_sampler_free(sampler);
  ef_session_free(session);
  ef_model_free(model);
  return 0;
}
