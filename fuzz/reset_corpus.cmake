# cmake -DSRC=<seed dir> -DDST=<build copy> -P reset_corpus.cmake
# Replaces DST with a fresh copy of SRC (an empty DST if SRC has no seeds yet).
if(NOT DEFINED SRC OR NOT DEFINED DST)
  message(FATAL_ERROR "usage: cmake -DSRC=<dir> -DDST=<dir> -P reset_corpus.cmake")
endif()
file(REMOVE_RECURSE "${DST}")
file(MAKE_DIRECTORY "${DST}")
if(IS_DIRECTORY "${SRC}")
  file(GLOB seeds "${SRC}/*")
  if(seeds)
    file(COPY ${seeds} DESTINATION "${DST}")
  endif()
endif()
