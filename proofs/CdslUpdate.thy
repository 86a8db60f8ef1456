(* CdslUpdate: the update semantics' values and heap.

   Mirrors runtime/src/store.rs (the Heap store): boxed records and word
   arrays live in heap objects and are updated in place; everything else is
   a value. A function under the update semantics maps an argument and a
   heap to a result and a heap, or faults (None): use after free, double
   free, a taken field read. *)

theory CdslUpdate
  imports CdslValue
begin

type_synonym ptr = nat

datatype uval =
    UWord nat nat
  | UBool bool
  | UString string
  | UUnit
  | UTuple "uval list"
  | URecord "(string * uval option) list"
  | UVariant string uval
  | UPtr ptr
  | USys
  | UOpaque

text \<open>A heap object: a boxed record (a taken field is \<open>None\<close>) or a word array.\<close>

datatype hobj = HRecord "(string * uval option) list" | HArray "uval list"

type_synonym heap = "ptr => hobj option"

type_synonym upd_fn = "uval => heap => (uval * heap) option"

section \<open>Heap operations of the update semantics\<close>

definition heap_alloc :: "heap => ptr => hobj => heap option" where
  "heap_alloc h p obj = (if h p = None then Some (h(p := Some obj)) else None)"

definition heap_free :: "heap => ptr => heap option" where
  "heap_free h p = (if h p = None then None else Some (h(p := None)))"

text \<open>\<open>take\<close>: reads a present field and marks it taken, in place.\<close>

definition heap_take :: "heap => ptr => string => (uval * heap) option" where
  "heap_take h p f =
     (case h p of
        Some (HRecord fs) =>
          (case map_of fs f of
             Some (Some v) => Some (v, h(p := Some (HRecord (map (%(g, x). if g = f then (g, None) else (g, x)) fs))))
           | _ => None)
      | _ => None)"

text \<open>\<open>put\<close>: writes a field, in place.\<close>

definition heap_put :: "heap => ptr => string => uval => heap option" where
  "heap_put h p f v =
     (case h p of
        Some (HRecord fs) =>
          (if f : fst ` set fs
           then Some (h(p := Some (HRecord (map (%(g, x). if g = f then (g, Some v) else (g, x)) fs))))
           else None)
      | _ => None)"

lemma heap_free_alloc:
  "heap_alloc h p obj = Some h' ==> heap_free h' p = Some h"
  by (auto simp add: heap_alloc_def heap_free_def fun_upd_idem split: if_splits)

end
