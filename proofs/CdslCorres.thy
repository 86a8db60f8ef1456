(* CdslCorres: the correspondence between update semantics and value
   semantics, and the statement each generated <fn>_corres obligation
   makes.

   upd_val_rel h u v r: in heap h, the update value u represents the value
   v, and r is the set of heap objects u owns. Linearity is what makes the
   footprints of a tuple's parts or a record's fields disjoint: no object is
   reachable twice, so updating it in place cannot be observed. (Read-only
   views may share; a finer relation with separate read and write sets, as
   in Cogent's, refines this one.) *)

theory CdslCorres
  imports CdslUpdate
begin

inductive upd_val_rel :: "heap => uval => vval => ptr set => bool"
  and upd_val_rel_list :: "heap => uval list => vval list => ptr set => bool"
  and upd_val_rel_fields :: "heap => (string * uval option) list => (string * vval option) list => ptr set => bool"
where
  rel_word: "upd_val_rel h (UWord n x) (VWord n x) {}"
| rel_bool: "upd_val_rel h (UBool b) (VBool b) {}"
| rel_string: "upd_val_rel h (UString s) (VString s) {}"
| rel_unit: "upd_val_rel h UUnit VUnit {}"
| rel_sys: "upd_val_rel h USys VSys {}"
| rel_opaque: "upd_val_rel h UOpaque VOpaque {}"
| rel_tuple: "upd_val_rel_list h us vs r ==> upd_val_rel h (UTuple us) (VTuple vs) r"
| rel_record: "upd_val_rel_fields h us vs r ==> upd_val_rel h (URecord us) (VRecord vs) r"
| rel_variant: "upd_val_rel h u v r ==> upd_val_rel h (UVariant tag u) (VVariant tag v) r"
| rel_boxed: "h p = Some (HRecord us) ==> upd_val_rel_fields h us vs r ==> p ~: r ==>
    upd_val_rel h (UPtr p) (VRecord vs) (insert p r)"
| rel_array: "h p = Some (HArray us) ==> upd_val_rel_list h us vs {} ==>
    upd_val_rel h (UPtr p) (VArray vs) {p}"
| rel_nil: "upd_val_rel_list h [] [] {}"
| rel_cons: "upd_val_rel h u v r ==> upd_val_rel_list h us vs rs ==> r Int rs = {} ==>
    upd_val_rel_list h (u # us) (v # vs) (r Un rs)"
| rel_fields_nil: "upd_val_rel_fields h [] [] {}"
| rel_fields_present: "upd_val_rel h u v r ==> upd_val_rel_fields h us vs rs ==> r Int rs = {} ==>
    upd_val_rel_fields h ((f, Some u) # us) ((f, Some v) # vs) (r Un rs)"
| rel_fields_taken: "upd_val_rel_fields h us vs rs ==>
    upd_val_rel_fields h ((f, None) # us) ((f, None) # vs) rs"

text \<open>
  The frame condition: objects owned before and not after were freed,
  objects owned after and not before were fresh, and every object owned
  neither before nor after is untouched. Nothing leaks.
\<close>

definition frame :: "heap => ptr set => heap => ptr set => bool" where
  "frame h r h' r' =
     (ALL p. (p : r & p ~: r' --> h' p = None)
           & (p ~: r & p : r' --> h p = None)
           & (p ~: r & p ~: r' --> h p = h' p))"

lemma frame_refl: "frame h r h r"
  by (simp add: frame_def)

lemma frame_trans:
  assumes "frame h r h' r'" and "frame h' r' h'' r''"
  shows "frame h r h'' r''"
proof -
  have step: "(p : r & p ~: r'' --> h'' p = None)
            & (p ~: r & p : r'' --> h p = None)
            & (p ~: r & p ~: r'' --> h p = h'' p)" for p
  proof -
    from assms(1) have one: "(p : r & p ~: r' --> h' p = None)
        & (p ~: r & p : r' --> h p = None)
        & (p ~: r & p ~: r' --> h p = h' p)"
      unfolding frame_def by blast
    from assms(2) have two: "(p : r' & p ~: r'' --> h'' p = None)
        & (p ~: r' & p : r'' --> h' p = None)
        & (p ~: r' & p ~: r'' --> h' p = h'' p)"
      unfolding frame_def by blast
    from one two show ?thesis
      by (cases "p : r'") auto
  qed
  then show ?thesis
    unfolding frame_def by blast
qed

section \<open>The correspondence obligation\<close>

text \<open>
  A shallow function \<open>f\<close> (the value semantics) and the update semantics
  \<open>f_upd\<close> of the same CDSL function correspond when, from any heap
  representing the argument, the update semantics does not fault and ends
  in a heap representing \<open>f\<close>'s result, changing only what it owns.
  \<open>enc_a\<close> and \<open>enc_b\<close> encode the shallow argument and result types.
\<close>

definition corres :: "('a => vval) => ('b => vval) => ('a => 'b) => upd_fn => bool" where
  "corres enc_a enc_b f f_upd =
     (ALL x u h r. upd_val_rel h u (enc_a x) r -->
        (EX u' h' r'. f_upd u h = Some (u', h')
                    & upd_val_rel h' u' (enc_b (f x)) r'
                    & frame h r h' r'))"

lemma corresD:
  assumes "corres enc_a enc_b f f_upd" and "upd_val_rel h u (enc_a x) r"
  shows "EX u' h' r'. f_upd u h = Some (u', h') & upd_val_rel h' u' (enc_b (f x)) r' & frame h r h' r'"
  using assms unfolding corres_def by blast

end
