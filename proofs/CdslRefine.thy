(* CdslRefine: the shape of the C refinement obligation (<fn>_refines_c)
   and how the chain composes.

   C memory is bytes at addresses; a C value is its bytes. How a C memory
   represents a heap, and C bytes an update value, depend on the C
   backend's layout (compiler/src/backend/c.rs, runtime/c); they are the
   parameters of the locale, so the obligations can be stated before the
   layout relation is written down. *)

theory CdslRefine
  imports CdslCorres
begin

type_synonym addr = nat

type_synonym cmem = "addr => 8 word option"

type_synonym cval = "8 word list"

type_synonym c_fn = "cval => cmem => (cval * cmem) option"

locale c_refinement =
  fixes heap_rel :: "cmem => heap => bool"
    and val_rel :: "cval => uval => bool"
begin

text \<open>
  The C function refines the update semantics: from a memory and an
  argument representing a heap and an update value, whatever result the
  update semantics gives, the C function gives one representing it.
\<close>

definition refines_c :: "c_fn => upd_fn => bool" where
  "refines_c f_c f_upd =
     (ALL a m u h. heap_rel m h --> val_rel a u -->
        (ALL u' h'. f_upd u h = Some (u', h') -->
           (EX a' m'. f_c a m = Some (a', m') & heap_rel m' h' & val_rel a' u')))"

text \<open>
  The chain: if the C code refines the update semantics and the update
  semantics corresponds to the shallow function, the C code computes (a
  representation of) the shallow function's result. Any property proved
  of the shallow function therefore holds of the C code.
\<close>

lemma refinement_chain:
  assumes c: "refines_c f_c f_upd"
    and v: "corres enc_a enc_b f f_upd"
    and m: "heap_rel m h" and a: "val_rel a u"
    and x: "upd_val_rel h u (enc_a x) r"
  shows "EX a' m' u' h' r'. f_c a m = Some (a', m') & heap_rel m' h' & val_rel a' u'
                         & upd_val_rel h' u' (enc_b (f x)) r'"
proof -
  from corresD [OF v x] obtain u' h' r'
    where run: "f_upd u h = Some (u', h')" and rel: "upd_val_rel h' u' (enc_b (f x)) r'"
    by blast
  from c m a run obtain a' m'
    where "f_c a m = Some (a', m')" and "heap_rel m' h'" and "val_rel a' u'"
    unfolding refines_c_def by blast
  with rel show ?thesis
    by blast
qed

end

end
